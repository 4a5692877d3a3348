// A plan part held by pointer only because plan types nest (a filter holds
// the relation step it probes, which holds filters). Owned by one plan,
// copied deeply, and const whenever its owner is: a frozen plan cannot be
// written through it, and a plan under construction needs no cast.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace dc {

template <class T>
class PlanBox {
 public:
  PlanBox() = default;
  PlanBox(std::nullptr_t) {}  // NOLINT: reads as "no part"
  explicit PlanBox(T value) : p_(std::make_unique<T>(std::move(value))) {}
  PlanBox(const PlanBox& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  PlanBox(PlanBox&&) noexcept = default;
  PlanBox& operator=(const PlanBox& other) {
    if (this != &other) p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
    return *this;
  }
  PlanBox& operator=(PlanBox&&) noexcept = default;
  ~PlanBox() = default;

  explicit operator bool() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace dc
