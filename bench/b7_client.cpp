// B7: what the C++ client adds to a call. One run, side by side, against
// the same server and query over one kept-alive connection each:
//   raw   — a hand-built Boost.Beast request, the JSON text prepared once,
//           the answer body left unparsed (the floor);
//   client — Client::query with the builder run every call, the body
//           serialized, the answer parsed into JSON and `data` taken out;
//   async  — the same through AsyncClient on the caller's io_context (no
//           hop to the blocking client's I/O thread).
// Also the client's CPU-only part (build + serialize + parse a recorded
// answer), which is the overhead itself without the network's noise.
//
//   build/release/drizzle-convex-server --demo --port 8787 &
//   build/release/bench_client [URL] [CALLS]
#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "drizzle_convex/async_client.hpp"
#include "drizzle_convex/client.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;
using namespace drizzle_convex;
using Clock = std::chrono::steady_clock;

namespace {

ReadQuery build() {
  Db db;
  return db.query("users").find_many({.columns = include({"name", "role", "credits"}),
                                      .where = and_(in_("role", {"admin", "member"}), gt("credits", 10)),
                                      .limit = 10,
                                      .order_by = {desc("credits")}});
}

struct Figures {
  double p50, p99, mean;
};
Figures figures(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double u : us) sum += u;
  return {us[us.size() / 2], us[us.size() * 99 / 100], sum / static_cast<double>(us.size())};
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:8787";
  int calls = argc > 2 ? std::stoi(argv[2]) : 5000;
  std::string host = url.substr(7, url.rfind(':') - 7), port = url.substr(url.rfind(':') + 1);

  // raw Beast
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::resolver(io).resolve(host, port));
  std::string body = build().json().dump();
  std::vector<double> raw_us, client_us, async_us, cpu_us;
  std::string answer;
  Client client({.url = url});
  // The Asio interface on the caller's own io_context: no thread hop.
  boost::asio::io_context own;
  AsyncClient async_client(own.get_executor(), {.url = url});
  for (int round = 0; round < 2; ++round) {  // round 0 warms both up
    raw_us.clear();
    client_us.clear();
    async_us.clear();
    for (int i = 0; i < calls; ++i) {
      // Interleaved, so drift in the machine's load hits both alike.
      auto t0 = Clock::now();
      http::request<http::string_body> req{http::verb::post, "/v1/query", 11};
      req.set(http::field::host, host + ":" + port);
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
      http::write(stream, req);
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(stream, buf, res);
      auto t1 = Clock::now();
      auto r = client.query(build());
      auto t2 = Clock::now();
      bool async_ok = false;
      async_client.async_query(build(), {}, [&](Result<Json> a) { async_ok = a.ok(); });
      own.restart();
      own.run();
      auto t3 = Clock::now();
      if (res.result_int() != 200 || !r.ok() || !async_ok) {
        std::fprintf(stderr, "bench_client: a call failed (%u / %s)\n", res.result_int(), r.ok() ? "ok" : r.error().describe().c_str());
        return 1;
      }
      answer = res.body();
      raw_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      client_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
      async_us.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
    }
  }
  for (int i = 0; i < calls; ++i) {
    auto t0 = Clock::now();
    std::string text = build().json().dump();
    Json parsed = Json::parse(answer);
    Json data = std::move(parsed["data"]);
    auto t1 = Clock::now();
    if (text.empty() || data.empty()) return 1;
    cpu_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  auto raw = figures(raw_us), cl = figures(client_us), as = figures(async_us), cpu = figures(cpu_us);
  std::printf("B7 client overhead: %d calls each, interleaved, one keep-alive connection each, %zu-byte answer\n", calls, answer.size());
  std::printf("  raw Beast     p50 %7.1f us  p99 %7.1f us  mean %7.1f us\n", raw.p50, raw.p99, raw.mean);
  std::printf("  Client::query p50 %7.1f us  p99 %7.1f us  mean %7.1f us\n", cl.p50, cl.p99, cl.mean);
  std::printf("  AsyncClient on the caller's io_context  p50 %7.1f us  p99 %7.1f us  mean %7.1f us\n", as.p50, as.p99, as.mean);
  std::printf("  Client / raw  p50 %.2f  mean %.2f;  AsyncClient / raw  p50 %.2f  mean %.2f\n", cl.p50 / raw.p50, cl.mean / raw.mean,
              as.p50 / raw.p50, as.mean / raw.mean);
  std::printf("  client CPU only (build + serialize + parse the answer): p50 %.1f us  p99 %.1f us\n", cpu.p50, cpu.p99);
  return 0;
}
