// The metrics registry's families and children, name checks, and Prometheus text rendering.
#include "obs/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <deque>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <variant>

namespace obs {

namespace {

// Largest magnitude up to which every integer is exactly representable as a double.
constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

bool IsNameStart(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || !IsNameStart(name.front(), allow_colon)) return false;
  return std::all_of(name.begin() + 1, name.end(), [allow_colon](char c) {
    return IsNameStart(c, allow_colon) || (c >= '0' && c <= '9');
  });
}

[[noreturn]] void Fail(std::string_view metric, std::string_view problem) {
  throw std::logic_error("metric \"" + std::string(metric) + "\": " + std::string(problem));
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  std::array<char, 32> buffer;  // enough for the longest shortest-round-trip double (24 chars)
  std::to_chars_result result;
  if (std::trunc(v) == v && std::fabs(v) <= kMaxExactInteger) {
    // Also turns -0 into "0", which is how Prometheus' own clients write it.
    result =
        std::to_chars(buffer.data(), buffer.data() + buffer.size(), static_cast<std::int64_t>(v));
  } else {
    result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  }
  out.append(buffer.data(), result.ptr);
}

void AppendCount(std::string& out, std::uint64_t n) {
  std::array<char, 24> buffer;
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), n);
  out.append(buffer.data(), result.ptr);
}

// HELP text escapes only backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::vector<double> NormalizeBounds(std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) {
    bounds.pop_back();
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      throw std::logic_error("histogram bucket bounds must be finite (a last +Inf is implied)");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::logic_error("histogram bucket bounds must be strictly increasing");
    }
  }
  return bounds;
}

}  // namespace

std::string FormatSampleValue(double v) {
  std::string out;
  AppendValue(out, v);
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}

void Counter::ThrowBadIncrement(double v) {
  throw std::logic_error("counter increment must be >= 0, got " + FormatSampleValue(v));
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(NormalizeBounds(std::move(upper_bounds))),
      counts_(upper_bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  // First bound >= v, i.e. the bucket whose inclusive upper bound holds v; the last slot is +Inf.
  const std::size_t index =
      std::isnan(v) ? upper_bounds_.size()
                    : static_cast<std::size_t>(
                          std::partition_point(upper_bounds_.begin(), upper_bounds_.end(),
                                               [v](double bound) { return bound < v; }) -
                          upper_bounds_.begin());
  ++counts_[index];
  ++count_;
  sum_ += v;
}

struct MetricsRegistry::Child {
  std::vector<std::string> label_values;
  std::variant<Counter, Gauge, Histogram> metric;
};

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms only, normalized
  std::deque<Child> children;  // a deque never moves its elements when it grows
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;
MetricsRegistry::MetricsRegistry(MetricsRegistry&&) noexcept = default;
MetricsRegistry& MetricsRegistry::operator=(MetricsRegistry&&) noexcept = default;

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const Labels& labels) {
  return std::get<Counter>(GetChild(Type::kCounter, name, help, labels, nullptr).metric);
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const Labels& labels) {
  return std::get<Gauge>(GetChild(Type::kGauge, name, help, labels, nullptr).metric);
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& buckets, const Labels& labels) {
  return std::get<Histogram>(GetChild(Type::kHistogram, name, help, labels, &buckets).metric);
}

void MetricsRegistry::AddCollector(Collector collector) {
  collectors_.push_back(std::move(collector));
}

MetricsRegistry::Child& MetricsRegistry::GetChild(Type type, std::string_view name,
                                                  std::string_view help, const Labels& labels,
                                                  const std::vector<double>* buckets) {
  Family* family = nullptr;
  if (const auto it = families_by_name_.find(name); it != families_by_name_.end()) {
    family = it->second;
    if (family->type != type) Fail(name, "already registered with another type");
    if (family->help != help) Fail(name, "already registered with another help text");
    const bool same_label_names = std::equal(
        labels.begin(), labels.end(), family->label_names.begin(), family->label_names.end(),
        [](const auto& label, const std::string& label_name) { return label.first == label_name; });
    if (!same_label_names) Fail(name, "already registered with other label names or order");
    if (buckets != nullptr && NormalizeBounds(*buckets) != family->bounds) {
      Fail(name, "already registered with other buckets");
    }
  } else {
    if (!IsValidName(name, /*allow_colon=*/true)) Fail(name, "invalid metric name");
    if (help.empty()) Fail(name, "help text is required");
    const bool ends_total = name.ends_with("_total");
    if (type == Type::kCounter && !ends_total) Fail(name, "counter names must end in _total");
    if (type != Type::kCounter && ends_total) Fail(name, "only counter names end in _total");
    if (type != Type::kHistogram &&
        (name.ends_with("_bucket") || name.ends_with("_sum") || name.ends_with("_count"))) {
      Fail(name, "the suffixes _bucket, _sum and _count are reserved for histogram samples");
    }
    auto created = std::make_unique<Family>();
    created->name = std::string(name);
    created->help = std::string(help);
    created->type = type;
    for (const auto& [label_name, value] : labels) {
      if (!IsValidName(label_name, /*allow_colon=*/false)) {
        Fail(name, "invalid label name \"" + label_name + "\"");
      }
      if (label_name.starts_with("__")) Fail(name, "label names starting with __ are reserved");
      if (type == Type::kHistogram && label_name == "le") {
        Fail(name, "histograms cannot use the label le");
      }
      if (std::find(created->label_names.begin(), created->label_names.end(), label_name) !=
          created->label_names.end()) {
        Fail(name, "duplicate label name \"" + label_name + "\"");
      }
      created->label_names.push_back(label_name);
    }
    if (buckets != nullptr) created->bounds = NormalizeBounds(*buckets);
    family = created.get();
    families_.push_back(std::move(created));
    families_by_name_.emplace(family->name, family);
  }

  for (Child& child : family->children) {
    const bool same_values = std::equal(
        labels.begin(), labels.end(), child.label_values.begin(), child.label_values.end(),
        [](const auto& label, const std::string& value) { return label.second == value; });
    if (same_values) return child;
  }
  Child& child = family->children.emplace_back();
  child.label_values.reserve(labels.size());
  for (const auto& label : labels) child.label_values.push_back(label.second);
  if (type == Type::kGauge) child.metric.emplace<Gauge>();
  if (type == Type::kHistogram) child.metric.emplace<Histogram>(family->bounds);
  return child;
}

std::string MetricsRegistry::Render() {
  // By index: a collector may add another collector.
  for (std::size_t i = 0; i < collectors_.size(); ++i) collectors_[i](*this);

  std::string out;
  // Writes "name{a="x",b="y"" without the closing brace, so a histogram can append le.
  const auto append_series = [&out](std::string_view name, std::string_view suffix,
                                    const Family& family, const Child& child) {
    out += name;
    out += suffix;
    for (std::size_t i = 0; i < family.label_names.size(); ++i) {
      out += i == 0 ? '{' : ',';
      out += family.label_names[i];
      out += "=\"";
      AppendEscaped(out, child.label_values[i], /*escape_quote=*/true);
      out += '"';
    }
  };

  for (const auto& family : families_) {
    out += "# HELP ";
    out += family->name;
    out += ' ';
    AppendEscaped(out, family->help, /*escape_quote=*/false);
    out += "\n# TYPE ";
    out += family->name;
    switch (family->type) {
      case Type::kCounter:
        out += " counter\n";
        break;
      case Type::kGauge:
        out += " gauge\n";
        break;
      case Type::kHistogram:
        out += " histogram\n";
        break;
    }
    const bool has_labels = !family->label_names.empty();
    for (const Child& child : family->children) {
      if (family->type != Type::kHistogram) {
        append_series(family->name, "", *family, child);
        out += has_labels ? "} " : " ";
        const double value = family->type == Type::kCounter
                                 ? std::get<Counter>(child.metric).value()
                                 : std::get<Gauge>(child.metric).value();
        AppendValue(out, value);
        out += '\n';
        continue;
      }
      const auto& histogram = std::get<Histogram>(child.metric);
      const auto& counts = histogram.bucket_counts();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        append_series(family->name, "_bucket", *family, child);
        out += has_labels ? ",le=\"" : "{le=\"";
        if (i < family->bounds.size()) {
          AppendValue(out, family->bounds[i]);
        } else {
          out += "+Inf";
        }
        out += "\"} ";
        AppendCount(out, cumulative);
        out += '\n';
      }
      append_series(family->name, "_sum", *family, child);
      out += has_labels ? "} " : " ";
      AppendValue(out, histogram.sum());
      out += '\n';
      append_series(family->name, "_count", *family, child);
      out += has_labels ? "} " : " ";
      AppendCount(out, histogram.count());
      out += '\n';
    }
  }
  return out;
}

}  // namespace obs
