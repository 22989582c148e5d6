#include "sim/network.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

#include <algorithm>
#include <limits>

namespace sim {

struct Network::Link {
  NodeId from, to;
  Distribution latency;
  double loss, duplicate;
  Rng rng;
  // Neither loses nor duplicates: a message over it costs one latency draw.
  bool clean() const { return loss <= 0 && duplicate <= 0; }
};

// A route is a slice of route_links_ (flat, so that sending touches no extra allocation).
struct Network::Route {
  uint32_t first = 0;  // index of the first link id in route_links_
  uint32_t hops = 0;
  bool ok = false;
};

namespace {
bool contains(const std::vector<NodeId>& v, NodeId n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}
int group_of(const std::vector<std::vector<NodeId>>& groups, NodeId n) {
  for (size_t g = 0; g < groups.size(); ++g) {
    if (contains(groups[g], n)) return static_cast<int>(g);
  }
  return -1;
}
}  // namespace

bool Partition::cuts(NodeId a, NodeId b, Time t) const {
  if (t < start || t >= end) return false;
  if (!groups.empty()) {
    const int ga = group_of(groups, a), gb = group_of(groups, b);
    return ga >= 0 && gb >= 0 && ga != gb;
  }
  return contains(from, a) && contains(to, b);
}

Network::Network(Simulation& sim, std::vector<std::string> node_names,
                 const NetworkConfig& config, uint64_t seed, uint64_t replication)
    : sim_(sim), self_(sim.add_handler(this)), names_(std::move(node_names)) {
  const size_t n = n_ = names_.size();
  sinks_.assign(n, nullptr);
  std::vector<int64_t> link_of(n * n, -1);
  auto add = [&](NodeId a, NodeId b, const Distribution& lat, double loss, double dup) {
    SIM_ASSERT(a < n && b < n, "link between unknown nodes");
    const std::string stream = "link/" + names_[a] + "->" + names_[b];
    Link l{a, b, lat, loss, dup, Rng(seed, stream, replication)};
    if (link_of[a * n + b] >= 0) {
      links_[static_cast<size_t>(link_of[a * n + b])] = std::move(l);
    } else {
      link_of[a * n + b] = static_cast<int64_t>(links_.size());
      links_.push_back(std::move(l));
    }
  };
  if (config.full_mesh) {
    for (NodeId a = 0; a < n; ++a) {
      for (NodeId b = 0; b < n; ++b) {
        if (a != b) add(a, b, config.latency, config.loss, config.duplicate);
      }
    }
  }
  for (const LinkConfig& l : config.links) {
    add(l.from, l.to, l.latency, l.loss, l.duplicate);
    if (l.both_ways) add(l.to, l.from, l.latency, l.loss, l.duplicate);
  }

  // Shortest paths by mean latency over the directed links.
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS,
                                      boost::no_property,
                                      boost::property<boost::edge_weight_t, double>>;
  Graph g(n);
  for (const Link& l : links_) boost::add_edge(l.from, l.to, l.latency.mean_ns() + 1.0, g);
  routes_.assign(n * n, Route{});
  std::vector<Graph::vertex_descriptor> pred(n);
  std::vector<double> dist(n);
  for (NodeId a = 0; a < n; ++a) {
    boost::dijkstra_shortest_paths(
        g, a, boost::predecessor_map(pred.data()).distance_map(dist.data()));
    for (NodeId b = 0; b < n; ++b) {
      Route& r = routes_[a * n + b];
      r.first = static_cast<uint32_t>(route_links_.size());
      if (a == b) {
        r.ok = true;
        continue;
      }
      if (link_of[a * n + b] >= 0) {  // adjacent: always the direct link
        route_links_.push_back(static_cast<uint32_t>(link_of[a * n + b]));
        r.hops = 1;
        r.ok = true;
        continue;
      }
      if (dist[b] == std::numeric_limits<double>::max() || pred[b] == b) continue;
      std::vector<NodeId> hops{b};
      for (auto v = b; v != a; v = static_cast<NodeId>(pred[v])) hops.push_back(static_cast<NodeId>(pred[v]));
      std::reverse(hops.begin(), hops.end());
      for (size_t i = 0; i + 1 < hops.size(); ++i) {
        route_links_.push_back(static_cast<uint32_t>(link_of[hops[i] * n + hops[i + 1]]));
      }
      r.hops = static_cast<uint32_t>(hops.size() - 1);
      r.ok = true;
    }
  }
}

Network::~Network() = default;

void Network::attach(NodeId node, MessageSink* sink) {
  SIM_ASSERT(node < sinks_.size(), "attach() of an unknown node");
  sinks_[node] = sink;
}

void Network::add_partition(Partition p) { partitions_.push_back(std::move(p)); }

bool Network::reachable(NodeId a, NodeId b) const { return routes_[a * n_ + b].ok; }

std::vector<NodeId> Network::path(NodeId a, NodeId b) const {
  const Route& r = routes_[a * n_ + b];
  if (!r.ok) return {};
  std::vector<NodeId> nodes{a};
  for (uint32_t h = 0; h < r.hops; ++h) nodes.push_back(links_[route_links_[r.first + h]].to);
  return nodes;
}

Time Network::mean_delay(NodeId a, NodeId b) const {
  double ns = 0;
  const Route& r = routes_[a * n_ + b];
  for (uint32_t h = 0; h < r.hops; ++h) ns += links_[route_links_[r.first + h]].latency.mean_ns();
  return Time::from_seconds(ns * 1e-9);
}

bool Network::cut(NodeId a, NodeId b, Time t) const {
  for (const Partition& p : partitions_) {
    if (p.cuts(a, b, t)) return true;
  }
  return false;
}

bool Network::path_cut_slow(const Route& route, Time t) const {
  for (uint32_t h = 0; h < route.hops; ++h) {
    const Link& l = links_[route_links_[route.first + h]];
    if (cut(l.from, l.to, t)) return true;
  }
  return false;
}

uint32_t Network::store(const Message& m) {
  if (free_.empty()) {
    const Message copy = m;  // m may live in pool_, which push_back can move
    pool_.push_back(copy);
    return static_cast<uint32_t>(pool_.size() - 1);
  }
  const uint32_t slot = free_.back();
  free_.pop_back();
  pool_[slot] = m;
  return slot;
}

void Network::send(NodeId src, const Message& msg) {
  SIM_ASSERT(src < n_ && msg.dst < n_, "message between unknown nodes");
  ++counters_.sent;
  const Route& route = routes_[src * n_ + msg.dst];
  if (!route.ok) {
    ++counters_.unroutable;
    return;
  }
  if (path_cut(route, sim_.now())) {
    ++counters_.partitioned;
    return;
  }
  const uint32_t slot = store(msg);
  pool_[slot].src = src;
  pool_[slot].sent_at = sim_.now();
  if (route.hops == 1) {  // the common case, without launch()'s loop and recursion
    Link& link = links_[route_links_[route.first]];
    if (link.clean()) {
      sim_.schedule_after(link.latency.sample(link.rng), self_, 0, slot);
      return;
    }
  }
  launch(slot, route, 0, Time::zero());
}

void Network::launch(uint32_t slot, const Route& route, size_t hop, Time delay) {
  for (size_t h = hop; h < route.hops; ++h) {
    Link& link = links_[route_links_[route.first + h]];
    if (link.rng.bernoulli(link.loss)) {
      ++counters_.lost;
      free_.push_back(slot);
      return;
    }
    const Time d = link.latency.sample(link.rng);
    if (link.rng.bernoulli(link.duplicate)) {
      ++counters_.duplicated;
      const uint32_t copy = store(pool_[slot]);  // store() may move the pool: index, not reference
      pool_[copy].duplicate = true;
      launch(copy, route, h + 1, delay + link.latency.sample(link.rng));
    }
    delay += d;
  }
  sim_.schedule_after(delay, self_, 0, slot);
}

void Network::on_event(Simulation& sim, const Event& e) {
  (void)sim;
  const auto slot = static_cast<uint32_t>(e.payload);
  const Message m = pool_[slot];
  free_.push_back(slot);
  if (path_cut(routes_[m.src * n_ + m.dst], sim_.now())) {
    ++counters_.partitioned;
    return;
  }
  ++counters_.delivered;
  MessageSink* sink = sinks_[m.dst];
  SIM_ASSERT(sink != nullptr, "message for a node with no sink attached");
  sink->deliver(m);
}

}  // namespace sim
