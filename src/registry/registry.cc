// Loading the state and publishing snapshots.
#include "registry/registry.h"

namespace iamdb::registry {

Result<std::unique_ptr<Registry>> Registry::open(store::Store& store) {
  auto state = store.load();
  if (!state) return std::unexpected(state.error());
  std::unique_ptr<Registry> registry(new Registry(store));
  registry->current_.store(iam::Snapshot::build(std::make_shared<const iam::State>(std::move(*state)), 1));
  return registry;
}

void Registry::on_publish(Listener listener) {
  std::lock_guard lock(write_mu_);
  listeners_.push_back(std::move(listener));
}

void Registry::publish(std::shared_ptr<const iam::State> state, uint64_t version) {
  auto next = iam::Snapshot::build(std::move(state), version);
  auto before = current_.exchange(next, std::memory_order_acq_rel);
  for (const Listener& l : listeners_) l(*before, *next);
}

void Registry::record_key_use(std::string_view access_key_id, std::string_view service, std::string_view region,
                              SystemTime when) {
  std::lock_guard lock(usage_mu_);
  KeyUse& use = key_use_[std::string(access_key_id)];
  // A burst of uses within a second changes nothing anyone could see: skip the string copies.
  if (use.when + std::chrono::seconds(1) > when && use.service == service) return;
  use = {when, std::string(service), std::string(region)};
}

std::optional<Registry::KeyUse> Registry::last_key_use(std::string_view access_key_id) const {
  std::lock_guard lock(usage_mu_);
  const auto it = key_use_.find(std::string(access_key_id));
  if (it == key_use_.end()) return std::nullopt;
  return it->second;
}

}  // namespace iamdb::registry
