#include "agent/api/session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <exception>
#include <optional>
#include <utility>

#include "agent/api/tls_session.hpp"

namespace pydio::agent::api {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr std::chrono::seconds kLingerTimeout{2};
}  // namespace

template <class Protocol, class Stream>
Session<Protocol, Stream>::~Session() {
  if (id_) connections_->remove(*id_);
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::run() {
  // Eviction closes the socket on the session's strand; a session already gone is skipped.
  std::weak_ptr<Session> weak = this->shared_from_this();
  ConnectionLimit::Evict evict = [weak] {
    if (auto self = weak.lock()) {
      boost::asio::post(self->stream_.get_executor(), [self] { self->close(); });
    }
  };
  if (id_) {
    // Admitted before a TLS handshake: evicted since, it must not live on uncounted.
    if (!connections_->set_evict(*id_, std::move(evict))) id_.reset();
  } else {
    id_ = connections_->admit(std::move(evict));
  }
  if (!id_) {
    close();
    return;
  }
  // The socket's executor is a strand: start on it so every handler of this session is
  // serialized even when several threads run the io_context.
  boost::asio::dispatch(
      stream_.get_executor(),
      beast::bind_front_handler(&Session::read_request, this->shared_from_this()));
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::read_request() {
  connections_->set_busy(*id_, false);
  // A fresh parser per request: limits apply to each request, not to the connection.
  parser_.emplace();
  parser_->body_limit(options_->body_limit);
  parser_->header_limit(static_cast<std::uint32_t>(options_->header_limit));
  beast::get_lowest_layer(stream_).expires_after(options_->header_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::on_header(beast::error_code ec, std::size_t /*bytes*/) {
  if (handled_read_error(ec)) return;
  connections_->set_busy(*id_, true);
  if (options_->check_header) {
    if (std::optional<Response> early = options_->check_header(parser_->get(), peer_)) {
      // The body (if any) is still on its way: answer, then linger so the client reads it.
      early->keep_alive(false);
      linger_ = true;
      write_response(std::move(*early));
      return;
    }
  }
  beast::get_lowest_layer(stream_).expires_after(options_->idle_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
}

template <class Protocol, class Stream>
bool Session<Protocol, Stream>::handled_read_error(beast::error_code ec) {
  if (!ec) return false;
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset) {
    close();
    return true;
  }
  // After a limit or parse error the stream position is unknown: answer, then close.
  Request bare;
  bare.version(11);
  bare.keep_alive(false);
  linger_ = true;
  if (ec == http::error::body_limit) {
    write_response(error_response(
        bare, http::status::payload_too_large,
        "request body larger than " + std::to_string(options_->body_limit) + " bytes"));
  } else if (ec == http::error::header_limit) {
    write_response(error_response(
        bare, http::status::request_header_fields_too_large,
        "request header larger than " + std::to_string(options_->header_limit) + " bytes"));
  } else {
    write_response(error_response(bare, http::status::bad_request, "bad request: " + ec.message()));
  }
  return true;
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  if (handled_read_error(ec)) return;

  auto request = std::make_shared<Request>(parser_->release());
  if (options_->blocking && options_->offload && options_->blocking(*request)) {
    auto self = this->shared_from_this();
    const bool queued = options_->offload([self, request] {
      Response response = self->respond(*request);
      boost::asio::post(self->stream_.get_executor(),
                        [self, response = std::move(response)]() mutable {
                          self->write_response(std::move(response));
                        });
    });
    if (!queued) {
      Response busy = error_response(*request, http::status::service_unavailable,
                                     "busy: too many requests in progress; try again");
      busy.keep_alive(false);
      write_response(std::move(busy));
    }
    return;
  }
  write_response(respond(*request));
}

template <class Protocol, class Stream>
Response Session<Protocol, Stream>::respond(const Request& request) const {
  Response response;
  try {
    response = options_->identified_handler ? options_->identified_handler(request, peer_)
                                            : options_->handler(request);
  } catch (const std::exception& e) {
    spdlog::error("http {} {}: handler failed: {}", std::string(request.method_string()),
                  std::string(request.target()), e.what());
    response = error_response(request, http::status::internal_server_error,
                              std::string("internal error: ") + e.what());
  } catch (...) {
    spdlog::error("http {} {}: handler failed", std::string(request.method_string()),
                  std::string(request.target()));
    response = error_response(request, http::status::internal_server_error, "internal error");
  }
  // The client's wish decides keep-alive unless the handler already asked to close.
  if (!request.keep_alive()) response.keep_alive(false);
  return response;
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::write_response(Response response) {
  response_ = std::move(response);
  const bool close_after = response_.need_eof();
  beast::get_lowest_layer(stream_).expires_after(options_->idle_timeout);
  http::async_write(
      stream_, response_,
      beast::bind_front_handler(&Session::on_write, this->shared_from_this(), close_after));
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::on_write(bool close_after, beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    close();
    return;
  }
  if (close_after) {
    if (linger_) {
      linger_then_close();
    } else {
      close();
    }
    return;
  }
  response_ = {};
  read_request();
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::close() {
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(Socket::shutdown_send, ignored);
  beast::get_lowest_layer(stream_).socket().close(ignored);
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::linger_then_close() {
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(Socket::shutdown_send, ignored);
  beast::get_lowest_layer(stream_).expires_after(kLingerTimeout);
  stream_.async_read_some(
      boost::asio::buffer(discard_),
      beast::bind_front_handler(&Session::on_linger_read, this->shared_from_this()));
}

template <class Protocol, class Stream>
void Session<Protocol, Stream>::on_linger_read(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) {
    close();
    return;
  }
  stream_.async_read_some(
      boost::asio::buffer(discard_),
      beast::bind_front_handler(&Session::on_linger_read, this->shared_from_this()));
}

template class Session<boost::asio::ip::tcp>;
template class Session<boost::asio::local::stream_protocol>;
template class Session<boost::asio::ip::tcp, TlsStream>;

}  // namespace pydio::agent::api
