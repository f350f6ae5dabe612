// Time source. Production code takes a Clock& so tests can use FakeClock.
#ifndef SVAULT_COMMON_CLOCK_H_
#define SVAULT_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <string>

namespace svault {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMillis() const = 0;
  int64_t NowSeconds() const { return NowMillis() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
  static SystemClock& Get();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'767'225'600'000) : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Advance(int64_t millis) { now_ += millis; }
  void Set(int64_t millis) { now_ = millis; }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 UTC with milliseconds: "2026-12-04T15:45:31.123Z".
std::string FormatRfc3339(int64_t millis);

}  // namespace svault

#endif  // SVAULT_COMMON_CLOCK_H_
