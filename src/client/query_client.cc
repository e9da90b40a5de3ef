// Signed Query API requests over Boost.Beast, answers parsed with Boost.PropertyTree.
#include "client/query_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <sstream>

#include "common/encoding.h"

namespace iamdb::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string host_header;  // host[:port] as it goes in Host
};

Result<Url> parse_url(std::string_view url) {
  Url u;
  if (url.starts_with("https://")) {
    u.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return fail("the endpoint URL ", url, " must start with http:// or https://");
  }
  while (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find('/') != std::string_view::npos)
    return fail("the endpoint URL must be scheme://host[:port] with no path");
  u.host_header = std::string(url);
  if (url.starts_with('[')) {
    const size_t close = url.find(']');
    if (close == std::string_view::npos) return fail("bad IPv6 address in the endpoint URL");
    u.host = std::string(url.substr(1, close - 1));
    url.remove_prefix(close + 1);
    if (url.starts_with(':')) u.port = std::string(url.substr(1));
  } else {
    const size_t colon = url.rfind(':');
    u.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(url.substr(colon + 1));
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  return u;
}

template <class Stream>
Result<http::response<http::string_body>> exchange(Stream& stream, http::request<http::string_body>& req) {
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return fail("sending the request: ", ec.message());
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return fail("reading the answer: ", ec.message());
  return res;
}

std::string error_message(std::string_view action, int status, const std::string& body) {
  Xml doc;
  std::istringstream in(body);
  try {
    boost::property_tree::read_xml(in, doc);
    for (const char* root : {"ErrorResponse.Error", "Response.Errors.Error"}) {
      if (auto error = doc.get_child_optional(root)) {
        return "An error occurred (" + error->get<std::string>("Code", "Unknown") + ") when calling the " +
               std::string(action) + " operation: " + error->get<std::string>("Message", "");
      }
    }
  } catch (const std::exception&) {
  }
  return "An error occurred (HTTP " + std::to_string(status) + ") when calling the " + std::string(action) +
         " operation";
}

}  // namespace

std::string_view api_version(std::string_view service) {
  if (service == "sts") return "2011-06-15";
  if (service == "rds") return "2014-10-31";
  return "2010-05-08";
}

Result<Xml> QueryClient::call(std::string_view service, std::string_view action, const QueryParams& params) const {
  auto url = parse_url(options_.endpoint_url);
  if (!url) return std::unexpected(url.error());
  std::string body = "Action=" + uri_encode(action) + "&Version=" + uri_encode(api_version(service));
  for (const auto& [k, v] : params) body += "&" + uri_encode(k) + "=" + uri_encode(v);

  sigv4::Request signed_request;
  signed_request.method = "POST";
  signed_request.path = "/";
  signed_request.headers = {{"Host", url->host_header},
                            {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  signed_request.body = body;
  sigv4::SigningParams sp;
  sp.region = options_.region;
  sp.service = std::string(service);
  sp.time = clock_.now();
  if (auto ok = sigv4::sign(signed_request, options_.credentials, sp); !ok) return std::unexpected(ok.error());

  http::request<http::string_body> req{http::verb::post, "/", 11};
  for (const auto& h : signed_request.headers) req.set(h.name, h.value);
  req.set(http::field::user_agent, "iamdb");
  req.body() = std::move(body);
  req.prepare_payload();

  const std::string where = options_.endpoint_url;
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(url->host, url->port, ec);
    if (ec) return fail("cannot resolve ", url->host, ": ", ec.message());
    Result<http::response<http::string_body>> res = fail("no answer");
    if (url->tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_verify_mode(asio::ssl::verify_peer);
      if (options_.ca_file.empty()) ctx.set_default_verify_paths();
      else ctx.load_verify_file(options_.ca_file);
      beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
      SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str());
      stream.set_verify_callback(asio::ssl::host_name_verification(url->host));
      beast::get_lowest_layer(stream).expires_after(options_.timeout);
      beast::get_lowest_layer(stream).connect(endpoints, ec);
      if (ec) return fail("cannot connect to ", where, ": ", ec.message(), " (is `iamdb server` running?)");
      stream.handshake(asio::ssl::stream_base::client, ec);
      if (ec) return fail("TLS with ", where, " failed: ", ec.message());
      res = exchange(stream, req);
    } else {
      beast::tcp_stream stream(io);
      stream.expires_after(options_.timeout);
      stream.connect(endpoints, ec);
      if (ec) return fail("cannot connect to ", where, ": ", ec.message(), " (is `iamdb server` running?)");
      res = exchange(stream, req);
    }
    if (!res) return fail(where, ": ", res.error().message);
    const int status = static_cast<int>(res->result_int());
    if (status / 100 != 2) return fail(error_message(action, status, res->body()));
    Xml doc;
    std::istringstream in(res->body());
    boost::property_tree::read_xml(in, doc, boost::property_tree::xml_parser::trim_whitespace);
    const std::string result_path = std::string(action) + "Response." + std::string(action) + "Result";
    if (auto result = doc.get_child_optional(result_path)) return *result;
    return Xml{};
  } catch (const std::exception& e) {
    return fail("calling ", action, " at ", where, ": ", e.what());
  }
}

std::vector<const Xml*> children(const Xml& xml, std::string_view name) {
  std::vector<const Xml*> out;
  for (const auto& [key, child] : xml)
    if (key == name) out.push_back(&child);
  return out;
}

std::string text_at(const Xml& xml, const std::string& path) { return xml.get<std::string>(path, ""); }

}  // namespace iamdb::client
