// HttpPool's waiting queue against a loopback upstream that accepts and never
// answers: the queue is bounded and its requests expire at their deadlines.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <future>
#include <thread>

#include "server/backend/convex/http_pool.hpp"

using namespace dc;
namespace net = boost::asio;

namespace {

// Accepts connections and keeps them open without a byte of answer.
struct SilentUpstream {
  net::io_context& ioc;
  net::ip::tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  std::vector<std::shared_ptr<net::ip::tcp::socket>> held;
  explicit SilentUpstream(net::io_context& c) : ioc(c) { accept(); }
  void accept() {
    auto s = std::make_shared<net::ip::tcp::socket>(ioc);
    acceptor.async_accept(*s, [this, s](boost::system::error_code ec) {
      if (ec) return;
      held.push_back(s);
      accept();
    });
  }
};

struct Outcome {
  std::promise<HttpOutcome> promise;
  std::future<HttpOutcome> future = promise.get_future();
  std::chrono::steady_clock::time_point at;
};

}  // namespace

TEST_CASE("http pool: a full waiting queue refuses at once; a queued request expires at its own deadline, unsent") {
  net::io_context ioc;
  SilentUpstream upstream(ioc);
  Upstream up{false, "127.0.0.1", std::to_string(upstream.acceptor.local_endpoint().port()), ""};
  auto pool = std::make_shared<HttpPool>(ioc.get_executor(), up, /*max_connections=*/1, "", /*max_waiting=*/1);
  std::thread runner([&] { ioc.run(); });

  auto start = Clock::now();
  Outcome busy, queued, refused;
  auto post = [&](Outcome& o, std::chrono::milliseconds deadline) {
    pool->post("/api/query", "{}", {}, start + deadline, [&o](HttpOutcome out) {
      o.at = std::chrono::steady_clock::now();
      o.promise.set_value(std::move(out));
    });
  };
  post(busy, std::chrono::milliseconds(3000));   // takes the one connection and stalls
  post(queued, std::chrono::milliseconds(300));  // waits
  post(refused, std::chrono::milliseconds(3000));

  REQUIRE(refused.future.wait_for(std::chrono::seconds(1)) == std::future_status::ready);
  auto r = refused.future.get();
  REQUIRE(std::holds_alternative<TransportError>(r));
  CHECK(std::get<TransportError>(r).kind == TransportError::Kind::overloaded);
  CHECK_FALSE(std::get<TransportError>(r).maybe_sent);

  REQUIRE(queued.future.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
  auto q = queued.future.get();
  REQUIRE(std::holds_alternative<TransportError>(q));
  CHECK(std::get<TransportError>(q).kind == TransportError::Kind::timeout);
  CHECK_FALSE(std::get<TransportError>(q).maybe_sent);
  // At its own deadline, not when the stalled call ahead of it gave up.
  CHECK(queued.at - start >= std::chrono::milliseconds(300));
  CHECK(queued.at - start < std::chrono::milliseconds(2500));
  CHECK(busy.future.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  CHECK(pool->waiting() == 0);

  REQUIRE(busy.future.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(std::get<TransportError>(busy.future.get()).kind == TransportError::Kind::timeout);
  pool.reset();
  ioc.stop();
  runner.join();
}
