// The gate every token-bearing request passes: sealing closes it, waits (bounded) for the
// requests inside to finish, seals, and opens it again (DESIGN.md §5: in-flight requests finish
// before the keys are wiped).
#ifndef SVAULT_API_GATE_H_
#define SVAULT_API_GATE_H_

#include <mutex>

namespace svault::api {

class RequestGate {
 public:
  // Admits a request; false while the gate is closed.
  bool Enter() {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    ++inside_;
    return true;
  }
  void Leave() {
    std::lock_guard lock(mu_);
    --inside_;
  }

  // Closes the gate; false (and nothing changes) when it is already closed. The caller then
  // waits for `inside()` to drop, without blocking a thread whose requests it waits for.
  bool Close() {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    closed_ = true;
    return true;
  }
  int inside() {
    std::lock_guard lock(mu_);
    return inside_;
  }
  void Open() {
    std::lock_guard lock(mu_);
    closed_ = false;
  }

 private:
  std::mutex mu_;
  int inside_ = 0;
  bool closed_ = false;
};

// Holds a place inside the gate for one request.
class Admission {
 public:
  explicit Admission(RequestGate& gate) : gate_(gate), admitted_(gate.Enter()) {}
  ~Admission() {
    if (admitted_) gate_.Leave();
  }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  bool admitted() const { return admitted_; }

 private:
  RequestGate& gate_;
  bool admitted_;
};

}  // namespace svault::api

#endif  // SVAULT_API_GATE_H_
