// sim::Network: carries messages between nodes with latency, loss, duplication, multi-hop
// routing and partitions.
//
// Topology: nodes 0..n-1 and directed links. By default every pair is linked (full mesh)
// with the default latency, loss and duplication; explicit links override a pair. With
// full_mesh = false only the explicit links exist and a message between nodes that are not
// adjacent follows the shortest path by mean latency (Dijkstra over the explicit links,
// run once per source that needs it; Boost.Graph stays inside network.cpp).
//
// Cost: set-up is O(nodes + explicit links). A default link of the mesh (its latency
// stream included) and a route are made the first time a message needs them, so memory
// grows with the pairs that talk, not with n^2; the route of a pair is then found in O(1)
// (a flat table below 1024 nodes, a hash table above).
//
// A message crossing a path of hops: on each hop it is lost with the hop's loss
// probability, delayed by a draw from the hop's latency, and duplicated with the hop's
// duplication probability (the copy takes its own delay from there on). Each directed link
// draws from its own random stream ("link/<from>-><to>").
//
// Partitions cut the nodes of one group off from the nodes of the others (symmetric), or
// stop only the messages from one set to another (one-way), during [start, end). A message
// is dropped when a cut separating two consecutive nodes of its path is active at its send
// time or at its arrival time. Nodes not named in a partition are not affected by it.
//
// Delivery to a node that is down drops the message (the node counts it). A message's
// storage is pooled: no allocation per message once the pool has grown.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/message.hpp"
#include "sim/observer.hpp"
#include "sim/rng.hpp"
#include "sim/simulation.hpp"

namespace sim {

class Node;

struct LinkConfig {
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Distribution latency = Distribution::constant(Time::zero());
  double loss = 0;
  double duplicate = 0;
  bool both_ways = true;  // also add the link to -> from with the same properties
};

struct NetworkConfig {
  Distribution latency = Distribution::constant(Time::zero());  // default for the full mesh
  double loss = 0;
  double duplicate = 0;
  bool full_mesh = true;
  std::vector<LinkConfig> links;
};

struct Partition {
  // Symmetric: nodes in different groups cannot reach each other.
  std::vector<std::vector<NodeId>> groups;
  // One-way (used when groups is empty): messages from a node in `from` to a node in `to`
  // are stopped; the other direction flows.
  std::vector<NodeId> from, to;
  Time start, end;
  // Returns true iff this partition stops a hop a -> b at time t.
  bool cuts(NodeId a, NodeId b, Time t) const;
};

struct NetworkCounters {
  uint64_t sent = 0;              // send() calls
  uint64_t delivered = 0;         // copies handed to a sink (including duplicates)
  uint64_t lost = 0;              // dropped by link loss
  uint64_t partitioned = 0;       // dropped by a partition
  uint64_t duplicated = 0;        // extra copies made
  uint64_t unroutable = 0;        // no path between the two nodes
};

// A network tap sees every message handed to the network and every delivery, and may lose
// a message at its send (coordsim explore's injected losses and crashes). Without one, the
// network pays one pointer test per send and per delivery.
class NetworkTap {
 public:
  virtual ~NetworkTap() = default;
  // m is being sent from src; return false to lose it (counted as lost).
  virtual bool on_send(NodeId src, const Message& m) = 0;
  // m (its src set) reaches its destination's sink now.
  virtual void on_deliver(const Message& m) = 0;
};

class Network final : public Handler {
 public:
  // node_names are used for stream names and messages; their order defines the NodeIds.
  Network(Simulation& sim, std::vector<std::string> node_names, const NetworkConfig& config,
          uint64_t seed, uint64_t replication = 0);
  ~Network() override;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // The node that receives the messages addressed to `node`; attached before any is sent to
  // it (a message takes its receiver along when sent). Delivery is a direct call of
  // Node::deliver: every receiver is a sim::Node, so no virtual call is paid per message.
  void attach(NodeId node, Node* sink);
  void set_tap(NetworkTap* tap) {
    tap_ = tap;
    plain_ = tap_ == nullptr && partitions_.empty();
  }
  void add_partition(Partition p);

  // Messages sent and not yet delivered or lost.
  size_t in_flight() const { return pool_.size() - free_.size(); }
  // Sends m from `src` to m.dst now. The network sets m's src on its own copy.
  // Inline for the common case (no tap, observer or partition, and a route already known to
  // be one hop that neither loses nor duplicates): a pool slot, a delay and an event. The
  // rest, and the first message of a pair, take send_general(); both do the same thing.
  void send(NodeId src, const Message& m) {
    SIM_ASSERT(src < n_ && m.dst < n_, "message between unknown nodes");
    if (plain_ && sim_.observer() == nullptr) [[likely]] {
      const uint32_t id = known_clean_link(src, m.dst);
      if (id != kUnknown) [[likely]] {
        ++counters_.sent;
        depart(store(src, m), id);
        return;
      }
    }
    send_general(src, m);
  }

  // Returns true iff some path leads from a to b.
  bool reachable(NodeId a, NodeId b) const;
  // The nodes a message from a to b passes, a and b included (empty if unreachable).
  std::vector<NodeId> path(NodeId a, NodeId b) const;
  // Mean one-way delay from a to b along its path (for analytic estimates).
  Time mean_delay(NodeId a, NodeId b) const;
  // Returns true iff a partition cuts the direct hop a -> b at time t.
  bool cut(NodeId a, NodeId b, Time t) const;

  const NetworkCounters& counters() const { return counters_; }
  size_t node_count() const { return names_.size(); }
  const std::string& name(NodeId n) const { return names_[n]; }

  void on_event(Simulation& sim, const Event& e) override;

 private:
  NetworkTap* tap_ = nullptr;
  struct Link {
    NodeId from, to;
    double loss, duplicate;
    // The latency on the link's own stream. A clean link draws nothing else from it, so its
    // next latency is drawn ahead (Sampler); a lossy or duplicating one draws on demand.
    Sampler delay;
    // Neither loses nor duplicates: a message over it costs one latency draw.
    bool clean() const { return clean(loss, duplicate); }
    static bool clean(double loss, double duplicate) { return loss <= 0 && duplicate <= 0; }
  };
  static constexpr uint32_t kUnknown = 0xffff'ffffu;
  // A route is a slice of route_links_ (flat, so that sending touches no extra allocation).
  struct Route {
    uint32_t first = 0;  // index of the first link id in route_links_
    uint32_t hops = 0;
    bool ok = false;
    // The route's one link when it is a single hop that neither loses nor duplicates (the
    // full mesh's common case: send() then needs no further lookup), else kUnknown.
    uint32_t clean_link = kUnknown;
  };
  struct Graph;
  // The route from a to b (made on first use).
  const Route& route(NodeId a, NodeId b) const {
    if (flat_) {
      const uint32_t r = route_of_[a * n_ + b];
      if (r != kUnknown) [[likely]] return routes_[r];
    }
    return make_route(a, b);
  }
  const Route& make_route(NodeId a, NodeId b) const;
  // The clean link of the route a -> b when that route is made already (flat table) and is
  // one clean hop, else kUnknown.
  uint32_t known_clean_link(NodeId a, NodeId b) const {
    if (!flat_) return kUnknown;
    const uint32_t r = route_of_[a * n_ + b];
    return r == kUnknown ? kUnknown : routes_[r].clean_link;
  }
  void send_general(NodeId src, const Message& m);
  // Sends the pooled message in `slot` over `link`, one clean hop: its delivery, one latency
  // draw from now.
  void depart(uint32_t slot, uint32_t link) {
    Link& l = links_[link];
    sim_.schedule_after(l.delay.take(), self_, 0, slot);
  }
  // A link a -> b on its own stream, named after the pair; a clean one samples ahead.
  Link new_link(NodeId a, NodeId b, const Distribution& latency, double loss, double dup) const;
  // The id of the link a -> b (a default link of the mesh is made here), or kUnknown.
  uint32_t link_id(NodeId a, NodeId b) const;
  // Carries the pooled message in `slot` along the route from hop `hop` on.
  void launch(uint32_t slot, const Route& route, size_t hop, Time delay);
  // Pools a copy of m (from src) and returns its slot. Inline: every send stores; only a
  // pool that must grow takes the call to store_new().
  uint32_t store(NodeId src, const Message& m) {
    if (free_.empty()) [[unlikely]] return store_new(src, m);
    const uint32_t slot = free_.back();
    free_.pop_back();
    Message& p = pool_[slot];
    p = m;
    p.src = src;
    pool_sink_[slot] = sinks_[m.dst];
    return slot;
  }
  uint32_t store_new(NodeId src, const Message& m);
  // Tells the observer of a message dropped before it entered the network.
  void dropped_at_send(NodeId src, const Message& msg, Drop why);
  // Returns true iff a partition cuts a hop of the route at time t (inline: the common case
  // of no partition at all costs one test per message).
  bool path_cut(const Route& route, Time t) const {
    return !partitions_.empty() && path_cut_slow(route, t);
  }
  bool path_cut_slow(const Route& route, Time t) const;

  Simulation& sim_;
  HandlerId self_;
  std::vector<std::string> names_;
  size_t n_ = 0;  // names_.size(), kept at hand
  std::vector<Node*> sinks_;
  // Links and routes are made on first use (hence mutable: the queries stay const).
  mutable std::vector<Link> links_;
  mutable std::unordered_map<uint64_t, uint32_t> link_of_;   // (a * n + b) -> links_ index
  mutable std::vector<Route> routes_;
  mutable std::vector<uint32_t> route_links_;  // every route's directed link ids, back to back
  bool flat_ = false;                          // route_of_ is a flat n * n table
  mutable std::vector<uint32_t> route_of_;     // flat: (a * n + b) -> routes_ index
  mutable std::unordered_map<uint64_t, uint32_t> route_map_;  // otherwise
  std::unique_ptr<Graph> graph_;               // the explicit links, when full_mesh is off
  uint64_t seed_, replication_;
  bool full_mesh_;
  Distribution default_latency_;
  double default_loss_, default_duplicate_;
  std::vector<Partition> partitions_;
  bool plain_ = true;  // no tap and no partition: send() may take its inline path
  std::vector<Message> pool_;
  std::vector<Node*> pool_sink_;  // by pool slot: the node its message goes to
  std::vector<uint32_t> free_;
  NetworkCounters counters_;
};

}  // namespace sim
