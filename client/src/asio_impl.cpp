// Asio and Beast compiled once for the client library (separate
// compilation); the library carries them so a program that links it needs
// no copy of its own.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
