// Vocabulary of the PostgreSQL frontend/backend protocol 3.0 (PostgreSQL 15 documentation,
// chapter 55 "Frontend/Backend Protocol"): message type bytes of each direction (55.7), the
// startup-phase request codes (55.2.1, 55.2.9-55.2.11), authentication request codes (55.2.2),
// transaction states of ReadyForQuery, and the SQLSTATE codes the gateway reports (appendix A).
//
// The codec in this folder is pure: no sockets, no clocks. Its files are named by the side of
// the gateway they serve and the direction (PgBouncer and Odyssey do the same):
//   fe_read   messages a frontend (client) sends, as the gateway reads them
//   fe_write  messages the gateway writes to its frontends
//   be_read   messages a backend (PostgreSQL server) sends, as the gateway reads them
//   be_write  messages the gateway writes to its backends
// plus `framer` (cutting typed messages out of a byte stream), `scram`, `saslprep` and
// `md5_password` (the gateway as an authenticating client). Header-only; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace iamdb::pgwire {

// Who sent a stream of messages. The gateway is a backend to its clients and a frontend to
// the PostgreSQL servers behind it.
enum class Peer { kFrontend, kBackend };

constexpr uint32_t protocol_code(uint16_t major, uint16_t minor) {
  return (static_cast<uint32_t>(major) << 16) | minor;
}
constexpr uint16_t protocol_major(uint32_t code) { return static_cast<uint16_t>(code >> 16); }
constexpr uint16_t protocol_minor(uint32_t code) { return static_cast<uint16_t>(code & 0xffff); }

// The first word after a startup packet's length: a protocol version or a special request.
inline constexpr uint32_t kProtocol3 = protocol_code(3, 0);                // 196608
inline constexpr uint32_t kCancelRequestCode = protocol_code(1234, 5678);  // 80877102
inline constexpr uint32_t kSslRequestCode = protocol_code(1234, 5679);     // 80877103
inline constexpr uint32_t kGssEncRequestCode = protocol_code(1234, 5680);  // 80877104

// PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the largest startup packet, not counting its length
// word. PostgreSQL refuses longer ones with "invalid length of startup packet".
inline constexpr size_t kDefaultMaxStartupPacket = 10000;
// PostgreSQL's PQ_SMALL_MESSAGE_LIMIT, the largest length field it reads before authentication
// has finished (password and SASL messages), and PQ_LARGE_MESSAGE_LIMIT for everything else.
inline constexpr uint32_t kSmallMessageLimit = 10000;
inline constexpr uint32_t kLargeMessageLimit = 0x3fffffff - 1;
// The length field is a signed Int32 that counts itself.
inline constexpr uint32_t kMaxLengthField = 0x7fffffff;
inline constexpr uint32_t kMinLengthField = 4;
// Type byte plus length field.
inline constexpr size_t kHeaderSize = 5;

// Type bytes of the messages a frontend sends (55.7, messages marked F).
namespace frontend {
inline constexpr char kBind = 'B';
inline constexpr char kClose = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyFail = 'f';
inline constexpr char kDescribe = 'D';
inline constexpr char kExecute = 'E';
inline constexpr char kFlush = 'H';
inline constexpr char kFunctionCall = 'F';
inline constexpr char kParse = 'P';
// PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share this byte; the
// authentication request that preceded the message says which one it is.
inline constexpr char kPassword = 'p';
inline constexpr char kQuery = 'Q';
inline constexpr char kSync = 'S';
inline constexpr char kTerminate = 'X';
}  // namespace frontend

// Type bytes of the messages a backend sends (55.7, messages marked B).
namespace backend {
inline constexpr char kAuthentication = 'R';
inline constexpr char kBackendKeyData = 'K';
inline constexpr char kBindComplete = '2';
inline constexpr char kCloseComplete = '3';
inline constexpr char kCommandComplete = 'C';
inline constexpr char kCopyData = 'd';
inline constexpr char kCopyDone = 'c';
inline constexpr char kCopyInResponse = 'G';
inline constexpr char kCopyOutResponse = 'H';
inline constexpr char kCopyBothResponse = 'W';
inline constexpr char kDataRow = 'D';
inline constexpr char kEmptyQueryResponse = 'I';
inline constexpr char kErrorResponse = 'E';
inline constexpr char kFunctionCallResponse = 'V';
inline constexpr char kNegotiateProtocolVersion = 'v';
inline constexpr char kNoData = 'n';
inline constexpr char kNoticeResponse = 'N';
inline constexpr char kNotificationResponse = 'A';
inline constexpr char kParameterDescription = 't';
inline constexpr char kParameterStatus = 'S';
inline constexpr char kParseComplete = '1';
inline constexpr char kPortalSuspended = 's';
inline constexpr char kReadyForQuery = 'Z';
inline constexpr char kRowDescription = 'T';
}  // namespace backend

// True if `type` starts a message that `sender` may send in protocol 3.0.
constexpr bool is_message_type(Peer sender, char type) {
  constexpr std::string_view kFrontendTypes = "BCdcfDEHFPpQSX";
  constexpr std::string_view kBackendTypes = "RK23CdcGHWDIEVvnNAtS1sZT";
  return (sender == Peer::kFrontend ? kFrontendTypes : kBackendTypes).find(type) !=
         std::string_view::npos;
}

// The message's name in the protocol documentation ("Query", "ReadyForQuery"), for logs and
// error reasons; "unknown" for a byte that `sender` never sends. 'p' from a frontend is named
// "PasswordMessage" whichever of its four meanings it has.
constexpr std::string_view message_name(Peer sender, char type) {
  if (sender == Peer::kFrontend) {
    switch (type) {
      case 'B': return "Bind";
      case 'C': return "Close";
      case 'd': return "CopyData";
      case 'c': return "CopyDone";
      case 'f': return "CopyFail";
      case 'D': return "Describe";
      case 'E': return "Execute";
      case 'H': return "Flush";
      case 'F': return "FunctionCall";
      case 'P': return "Parse";
      case 'p': return "PasswordMessage";
      case 'Q': return "Query";
      case 'S': return "Sync";
      case 'X': return "Terminate";
      default: return "unknown";
    }
  }
  switch (type) {
    case 'R': return "Authentication";
    case 'K': return "BackendKeyData";
    case '2': return "BindComplete";
    case '3': return "CloseComplete";
    case 'C': return "CommandComplete";
    case 'd': return "CopyData";
    case 'c': return "CopyDone";
    case 'G': return "CopyInResponse";
    case 'H': return "CopyOutResponse";
    case 'W': return "CopyBothResponse";
    case 'D': return "DataRow";
    case 'I': return "EmptyQueryResponse";
    case 'E': return "ErrorResponse";
    case 'V': return "FunctionCallResponse";
    case 'v': return "NegotiateProtocolVersion";
    case 'n': return "NoData";
    case 'N': return "NoticeResponse";
    case 'A': return "NotificationResponse";
    case 't': return "ParameterDescription";
    case 'S': return "ParameterStatus";
    case '1': return "ParseComplete";
    case 's': return "PortalSuspended";
    case 'Z': return "ReadyForQuery";
    case 'T': return "RowDescription";
    default: return "unknown";
  }
}

// The Int32 that follows 'R' in an authentication request (55.7, Authentication*).
enum class AuthRequest : int32_t {
  kOk = 0,
  kKerberosV5 = 2,
  kCleartextPassword = 3,
  kMd5Password = 5,
  kGss = 7,
  kGssContinue = 8,
  kSspi = 9,
  kSasl = 10,
  kSaslContinue = 11,
  kSaslFinal = 12,
};

using Md5Salt = std::array<uint8_t, 4>;

// SASL mechanisms PostgreSQL offers (55.3.1). The -PLUS variant binds the exchange to the TLS
// channel, which cannot pass a proxy that terminates TLS.
inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";

// ReadyForQuery's status byte.
enum class TransactionStatus : char {
  kIdle = 'I',           // not in a transaction block
  kInTransaction = 'T',  // in a transaction block
  kFailed = 'E',         // in a failed transaction block: queries are refused until it ends
};

// SQLSTATE codes (PostgreSQL 15 documentation, appendix A) that the gateway itself reports.
namespace sqlstate {
inline constexpr std::string_view kInvalidAuthorizationSpecification = "28000";
inline constexpr std::string_view kInvalidPassword = "28P01";
inline constexpr std::string_view kProtocolViolation = "08P01";
inline constexpr std::string_view kConnectionFailure = "08006";
inline constexpr std::string_view kFeatureNotSupported = "0A000";
inline constexpr std::string_view kTooManyConnections = "53300";
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kCannotConnectNow = "57P03";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kInternalError = "XX000";
}  // namespace sqlstate

}  // namespace iamdb::pgwire
