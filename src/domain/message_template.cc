#include "domain/message_template.h"

#include <algorithm>
#include <cstddef>

namespace handoffd {
namespace {

// Calls f(begin, end, n) for each {{n}} (n 1..999) in `body`, left to right.
template <typename F>
void ForEachPlaceholder(const std::string& body, F f) {
  size_t pos = 0;
  while ((pos = body.find("{{", pos)) != std::string::npos) {
    size_t k = pos + 2;
    int n = 0;
    size_t digits = 0;
    while (k < body.size() && body[k] >= '0' && body[k] <= '9' && digits < 3) {
      n = n * 10 + (body[k] - '0');
      ++k;
      ++digits;
    }
    if (digits > 0 && n > 0 && body.compare(k, 2, "}}") == 0) {
      f(pos, k + 2, n);
      pos = k + 2;
    } else {
      pos += 2;
    }
  }
}

}  // namespace

int TemplateParameterCount(const std::string& body) {
  int count = 0;
  ForEachPlaceholder(body, [&count](size_t, size_t, int n) { count = std::max(count, n); });
  return count;
}

std::string FillTemplate(const std::string& body, const std::vector<std::string>& parameters) {
  std::string out;
  size_t copied = 0;
  ForEachPlaceholder(body, [&](size_t begin, size_t end, int n) {
    if (static_cast<size_t>(n) > parameters.size()) return;
    out.append(body, copied, begin - copied);
    out.append(parameters[static_cast<size_t>(n) - 1]);
    copied = end;
  });
  out.append(body, copied, std::string::npos);
  return out;
}

}  // namespace handoffd
