// One client of the PostgreSQL gateway, from accept to close, as one coroutine on one worker.
//
//   1. Admission: the gateway's client limit, the source address's failure block, the
//      instance's new-connection rate. A refused client still gets a proper FATAL error (with
//      its own SQLSTATE) once it has sent its startup packet.
//   2. Startup: SSLRequest is answered 'S' and TLS is terminated here; GSSENCRequest gets 'N';
//      a CancelRequest is looked up in the session table; a StartupMessage without TLS is
//      refused (28000): a password is never asked for in the clear.
//   3. Who logs in how (iam_users.h): a member of rds_iam is asked for a cleartext password,
//      the token, which the verifier checks in-process (verify/verifier.h, via "gateway", with
//      the client's address); anyone else's authentication is relayed to the backend unchanged
//      (SCRAM without channel binding, md5, password), so an IAM user can never get in with a
//      password and a password user never needs a token.
//   4. IAM users get a pooled backend session (pool.h) for their (user, database, startup
//      parameters). When the pool already knows that key's ParameterStatus values, the client is
//      told it is ready at once and a backend is attached only when it first sends something; a
//      connected, idle client holds no backend. Every client gets its own BackendKeyData.
//   5. Relay: both directions are forwarded as they arrive, watched by a RelayTracker. When the
//      client leaves, its backend session is reset (the instance's reset query, DISCARD ALL by
//      default) and returned to the pool if it is idle; a session left in a transaction, in
//      COPY, or in an unknown state is closed instead. Relayed (password) users' backends are
//      never pooled: they authenticated themselves.
//   6. The session can be cancelled (its key maps to the backend it uses at that moment; a
//      cancel in flight holds the backend back from the pool until the postmaster has handled
//      it) and stopped (sessions kill, revoked key, shutdown: SQLSTATE 57P01).
//
// Every way a session ends is named (`reason` of the session-end audit event); refusals before
// the session was ready are audit events too (the IAM decision itself is the verifier's event).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "audit/pipeline.h"
#include "common/clock.h"
#include "config/config.h"
#include "gateway/postgres/backend.h"
#include "gateway/postgres/iam_users.h"
#include "gateway/postgres/pool.h"
#include "gateway/sessions.h"
#include "gateway/stream.h"
#include "gateway/throttle.h"
#include "gateway/tls.h"
#include "iam/model.h"
#include "verify/verifier.h"

namespace iamdb::gateway::pg {

// Everything the gateway keeps for one instance while its settings stay the same. Replaced as a
// whole when they change; sessions keep the one they started with.
struct InstanceRuntime {
  std::shared_ptr<const iam::Instance> instance;
  std::shared_ptr<const BackendTarget> target;
  std::shared_ptr<const BackendTarget> relay_target;  // target.for_relay(): password users' log-ins
  std::unique_ptr<BackendPool> pool;
  std::shared_ptr<IamUsers> iam_users;
  std::unique_ptr<RateLimiter> rate;
  std::atomic<bool> retired{false};
  // Pool counters already added to the metrics (the gateway's maintenance tick only).
  uint64_t published_hits = 0, published_misses = 0, published_timeouts = 0;
};

// What every session of every instance shares; owned by the gateway, outlives the sessions.
struct GatewayContext {
  const config::GatewayConfig* config = nullptr;
  verify::Verifier* verifier = nullptr;
  audit::Pipeline* audit = nullptr;
  SessionTable* sessions = nullptr;
  ServerTls* tls = nullptr;
  FailureThrottle* throttle = nullptr;
  const Clock* clock = nullptr;
  std::atomic<uint32_t> clients{0};  // open client connections, in every stage
};

// Serves the client connected on `socket` (accepted on `io`, from `client_address`).
boost::asio::awaitable<void> serve_client(GatewayContext* gateway, std::shared_ptr<InstanceRuntime> instance,
                                          boost::asio::io_context* io, Socket socket, std::string client_address);

}  // namespace iamdb::gateway::pg
