// Runs a fuzz target over every file of the corpus folders it is given, as
// a plain test: on every build, the inputs the fuzzer kept (and any crash
// it once found, after the fix) go through the sanitizers again. A finding
// aborts; run again with -v first to see which file it was.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  size_t count = 0;
  bool verbose = argc > 1 && std::string(argv[1]) == "-v";
  for (int i = verbose ? 2 : 1; i < argc; ++i) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(argv[i])) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (verbose) std::fprintf(stderr, "%s\n", f.c_str());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  std::fprintf(stderr, "%zu inputs replayed\n", count);
  return count ? 0 : 1;  // an empty corpus is a mistake, not a pass
}
