#include "sim/network.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "sim/node.hpp"  // Node::deliver

namespace sim {

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

// The explicit links as a graph, for shortest paths when the mesh is off; the
// predecessors of every source asked for so far.
struct Network::Graph {
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                  boost::property<boost::edge_weight_t, double>>;
  explicit Graph(size_t n) : g(n) {}
  G g;
  std::unordered_map<NodeId, std::vector<G::vertex_descriptor>> pred;
  std::unordered_map<NodeId, std::vector<double>> dist;
};

Network::Network(Simulation& sim, std::vector<std::string> node_names,
                 const NetworkConfig& config, uint64_t seed, uint64_t replication)
    : sim_(sim),
      self_(sim.add_handler(this)),
      names_(std::move(node_names)),
      seed_(seed),
      replication_(replication),
      full_mesh_(config.full_mesh),
      default_latency_(config.latency),
      default_loss_(config.loss),
      default_duplicate_(config.duplicate) {
  const size_t n = n_ = names_.size();
  sinks_.assign(n, nullptr);
  flat_ = n <= 1024;
  if (flat_) route_of_.assign(n * n, kUnknown);
  auto add = [&](NodeId a, NodeId b, const Distribution& lat, double loss, double dup) {
    SIM_ASSERT(a < n && b < n, "link between unknown nodes");
    Link l = new_link(a, b, lat, loss, dup);
    const auto [it, fresh] = link_of_.emplace(uint64_t{a} * n + b, static_cast<uint32_t>(links_.size()));
    if (fresh) {
      links_.push_back(std::move(l));
    } else {
      links_[it->second] = std::move(l);
    }
  };
  for (const LinkConfig& l : config.links) {
    add(l.from, l.to, l.latency, l.loss, l.duplicate);
    if (l.both_ways) add(l.to, l.from, l.latency, l.loss, l.duplicate);
  }
  if (!full_mesh_) {
    graph_ = std::make_unique<Graph>(n);
    for (const Link& l : links_) {
      boost::add_edge(l.from, l.to, l.delay.distribution().mean_ns() + 1.0, graph_->g);
    }
  }
}

Network::~Network() = default;

Network::Link Network::new_link(NodeId a, NodeId b, const Distribution& latency, double loss,
                               double dup) const {
  Rng stream(seed_, "link/" + names_[a] + "->" + names_[b], replication_);
  return Link{a, b, loss, dup, Sampler(latency, std::move(stream), Link::clean(loss, dup))};
}

uint32_t Network::link_id(NodeId a, NodeId b) const {
  const auto it = link_of_.find(uint64_t{a} * n_ + b);
  if (it != link_of_.end()) return it->second;
  if (!full_mesh_) return kUnknown;
  // A default link of the full mesh, made now: its stream is named after the pair, so it
  // draws the same delays whenever it is first needed.
  links_.push_back(new_link(a, b, default_latency_, default_loss_, default_duplicate_));
  const auto id = static_cast<uint32_t>(links_.size() - 1);
  link_of_.emplace(uint64_t{a} * n_ + b, id);
  return id;
}

const Network::Route& Network::make_route(NodeId a, NodeId b) const {
  const uint64_t key = uint64_t{a} * n_ + b;
  if (!flat_) {
    const auto it = route_map_.find(key);
    if (it != route_map_.end()) return routes_[it->second];
  }
  Route r;
  r.first = static_cast<uint32_t>(route_links_.size());
  if (a == b) {
    r.ok = true;
  } else if (const uint32_t direct = link_id(a, b); direct != kUnknown) {
    route_links_.push_back(direct);  // adjacent (always, in a full mesh): the direct link
    r.hops = 1;
    r.ok = true;
    if (links_[direct].clean()) r.clean_link = direct;
  } else {
    auto& pred = graph_->pred[a];
    auto& dist = graph_->dist[a];
    if (pred.empty()) {
      pred.resize(n_);
      dist.resize(n_);
      boost::dijkstra_shortest_paths(graph_->g, a,
                                     boost::predecessor_map(pred.data()).distance_map(dist.data()));
    }
    if (dist[b] != std::numeric_limits<double>::max() && pred[b] != b) {
      std::vector<NodeId> hops{b};
      for (auto v = b; v != a; v = static_cast<NodeId>(pred[v])) hops.push_back(static_cast<NodeId>(pred[v]));
      std::reverse(hops.begin(), hops.end());
      for (size_t i = 0; i + 1 < hops.size(); ++i) route_links_.push_back(link_id(hops[i], hops[i + 1]));
      r.hops = static_cast<uint32_t>(hops.size() - 1);
      r.ok = true;
    }
  }
  routes_.push_back(r);
  const auto id = static_cast<uint32_t>(routes_.size() - 1);
  if (flat_) {
    route_of_[key] = id;
  } else {
    route_map_.emplace(key, id);
  }
  return routes_[id];
}

void Network::attach(NodeId node, Node* sink) {
  SIM_ASSERT(node < sinks_.size(), "attach() of an unknown node");
  sinks_[node] = sink;
}

void Network::add_partition(Partition p) {
  partitions_.push_back(std::move(p));
  plain_ = false;
}

bool Network::reachable(NodeId a, NodeId b) const { return route(a, b).ok; }

std::vector<NodeId> Network::path(NodeId a, NodeId b) const {
  const Route& r = route(a, b);
  if (!r.ok) return {};
  std::vector<NodeId> nodes{a};
  for (uint32_t h = 0; h < r.hops; ++h) nodes.push_back(links_[route_links_[r.first + h]].to);
  return nodes;
}

Time Network::mean_delay(NodeId a, NodeId b) const {
  double ns = 0;
  const Route& r = route(a, b);
  for (uint32_t h = 0; h < r.hops; ++h) {
    ns += links_[route_links_[r.first + h]].delay.distribution().mean_ns();
  }
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

uint32_t Network::store_new(NodeId src, const Message& m) {
  const Message copy = m;  // m may live in pool_, which push_back can move
  pool_.push_back(copy);
  pool_.back().src = src;
  pool_sink_.push_back(sinks_[copy.dst]);
  return static_cast<uint32_t>(pool_.size() - 1);
}

const char* drop_name(Drop d) {
  switch (d) {
    case Drop::kLost:
      return "lost";
    case Drop::kPartitioned:
      return "partitioned";
    case Drop::kUnroutable:
      return "unroutable";
    case Drop::kNodeDown:
      return "node down";
  }
  return "?";
}

void Network::dropped_at_send(NodeId src, const Message& msg, Drop why) {
  Message m = msg;
  m.src = src;
  Observer* obs = sim_.observer();
  obs->on_send(src, m, Observer::kNoSlot);
  obs->on_drop(m, Observer::kNoSlot, why);
}

void Network::send_general(NodeId src, const Message& msg) {
  ++counters_.sent;
  Observer* const obs = sim_.observer();
  if (tap_ != nullptr && !tap_->on_send(src, msg)) {
    ++counters_.lost;
    if (obs != nullptr) dropped_at_send(src, msg, Drop::kLost);
    return;
  }
  const Route& route = this->route(src, msg.dst);
  if (!route.ok) {
    ++counters_.unroutable;
    if (obs != nullptr) dropped_at_send(src, msg, Drop::kUnroutable);
    return;
  }
  if (path_cut(route, sim_.now())) {
    ++counters_.partitioned;
    if (obs != nullptr) dropped_at_send(src, msg, Drop::kPartitioned);
    return;
  }
  const uint32_t slot = store(src, msg);
  if (obs != nullptr) [[unlikely]] obs->on_send(src, pool_[slot], slot);
  if (route.clean_link != kUnknown) {  // the common case, without launch()'s loop and recursion
    depart(slot, route.clean_link);
    return;
  }
  launch(slot, route, 0, Time::zero());
}

void Network::launch(uint32_t slot, const Route& route, size_t hop, Time delay) {
  for (size_t h = hop; h < route.hops; ++h) {
    Link& link = links_[route_links_[route.first + h]];
    if (!link.clean() && link.delay.rng().bernoulli(link.loss)) {
      ++counters_.lost;
      if (Observer* obs = sim_.observer()) obs->on_drop(pool_[slot], slot, Drop::kLost);
      free_.push_back(slot);
      return;
    }
    const Time d = link.delay.next();
    if (!link.clean() && link.delay.rng().bernoulli(link.duplicate)) {
      ++counters_.duplicated;
      const uint32_t copy = store(pool_[slot].src, pool_[slot]);  // (may move the pool: index, not reference)
      pool_[copy].duplicate = true;
      if (Observer* obs = sim_.observer()) obs->on_duplicate(pool_[copy], slot, copy);
      launch(copy, route, h + 1, delay + link.delay.next());
    }
    delay += d;
  }
  sim_.schedule_after(delay, self_, 0, slot);
}

void Network::on_event(Simulation& sim, const Event& e) {
  (void)sim;
  const auto slot = static_cast<uint32_t>(e.payload);
  Node* const sink = pool_sink_[slot];  // (not through m.dst: no wait for the copy)
  const Message m = pool_[slot];
  free_.push_back(slot);
  Observer* const obs = sim_.observer();
  if (!partitions_.empty() && path_cut_slow(route(m.src, m.dst), sim_.now())) {
    ++counters_.partitioned;
    if (obs != nullptr) obs->on_drop(m, slot, Drop::kPartitioned);
    return;
  }
  ++counters_.delivered;
  if (tap_ != nullptr) tap_->on_deliver(m);
  if (obs != nullptr) [[unlikely]] obs->on_deliver(m, slot);
  SIM_ASSERT(sink != nullptr, "message for a node with no sink attached");
  sink->deliver(m);
}

}  // namespace sim
