// Gauges set round by round, for daemons that report on things that come and
// go (instances, jobs): a label set not set in a round is removed when the
// round finishes, so a removed instance does not keep reporting its last value
// (an alert on it would never resolve).
//
//   GaugeRound expected(family);
//   for (...) expected.Set({{"service", s}, {"instance", i}}, n);
//   expected.Finish();
#ifndef PAASTA_COMMON_METRICS_ROUND_H_
#define PAASTA_COMMON_METRICS_ROUND_H_

#include <map>
#include <set>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace paasta {

// A registered family: GaugeFamily(registry, "paasta_x", "What x is.").
inline prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& registry, const std::string& name,
                                                          const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}
inline prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry, const std::string& name,
                                                              const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

class GaugeRound {
 public:
  explicit GaugeRound(prometheus::Family<prometheus::Gauge>& family) : family_(family) {}

  void Set(const prometheus::Labels& labels, double value) {
    family_.Add(labels).Set(value);
    current_.insert(labels);
  }

  // Removes the label sets the previous round set and this one did not.
  void Finish() {
    for (const prometheus::Labels& labels : previous_) {
      if (current_.count(labels) == 0) family_.Remove(&family_.Add(labels));
    }
    previous_ = std::move(current_);
    current_.clear();
  }

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::set<prometheus::Labels> previous_;
  std::set<prometheus::Labels> current_;
};

}  // namespace paasta

#endif  // PAASTA_COMMON_METRICS_ROUND_H_
