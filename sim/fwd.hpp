// Forward declarations of the kernel's types, to keep includes light in headers that only
// pass these around by reference or pointer.
#pragma once

#include <cstdint>

namespace sim {
class Time;
class Status;
template <typename T>
class Result;
struct Event;
class EventQueue;
class Handler;
class Simulation;
struct TimerId;
class Rng;
class Distribution;
struct Message;
class Network;
struct NetworkConfig;
struct Partition;
class Node;
struct NodeConfig;
class Behavior;
class FailureInjector;
class LogHistogram;
class RunningStats;
class TimeWeighted;
using NodeId = uint32_t;
using HandlerId = uint32_t;
}  // namespace sim
