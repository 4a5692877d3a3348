#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <stdexcept>

#include "server/backend/embedded/work_pool.hpp"

using namespace dc;

TEST_CASE("work pool: runs jobs on its threads; a full queue refuses; stop drops what waits and joins") {
  WorkPool pool(1, 2);
  std::promise<void> gate;
  auto open = gate.get_future().share();
  std::atomic<int> ran{0};
  std::promise<void> started;
  REQUIRE(pool.submit([&] {
    started.set_value();
    open.wait();  // holds the only thread
    ++ran;
  }));
  started.get_future().wait();
  CHECK(pool.submit([&] { ++ran; }));
  CHECK(pool.submit([&] { ++ran; }));
  CHECK_FALSE(pool.submit([&] { ++ran; }));  // two wait already
  CHECK(pool.queued() == 2);
  gate.set_value();
  pool.stop();
  // The running job finished; whatever was still queued was dropped, not run, and released.
  CHECK(ran >= 1);
  CHECK_FALSE(pool.submit([] {}));
  pool.stop();  // again: nothing happens
}

TEST_CASE("work pool: a job that throws does not take the thread with it") {
  WorkPool pool(1, 8);
  std::promise<int> answer;
  REQUIRE(pool.submit([] { throw std::runtime_error("boom"); }));
  REQUIRE(pool.submit([&] { answer.set_value(7); }));
  auto f = answer.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(f.get() == 7);
}
