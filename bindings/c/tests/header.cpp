// The header from C++: compiles cleanly with g++ -std=c++17 -Wall -Wextra -Werror, links, and
// the C conventions hold (value-initialised configs, captureless lambdas as callbacks).
#include <helix_engage.h>

#include <cstdio>
#include <cstring>

int main() {
    helix_ozonetel_config config{}; // all defaults; user_name and api_key still required
    helix_ozonetel *client = nullptr;
    helix_status status = helix_ozonetel_new(&config, &client);
    if (status != HELIX_NULL_POINTER || client != nullptr ||
        std::strstr(helix_last_error(), "user_name") == nullptr) {
        std::fprintf(stderr, "unexpected: %s: %s\n", helix_status_name(status),
                     helix_last_error());
        return 1;
    }

    helix_agent_ref who{}; // no id: there is no default agent
    helix_agent *agent = nullptr;
    status = helix_ozonetel_agent_new(client, &who, &agent);
    if (status != HELIX_NULL_POINTER || agent != nullptr) { // client is NULL: checked first
        std::fprintf(stderr, "unexpected: %s\n", helix_status_name(status));
        return 1;
    }
    status = helix_agent_call_control(agent, HELIX_ACTION_HOLD, "1", nullptr, nullptr);
    if (status != HELIX_INVALID_INPUT) {
        std::fprintf(stderr, "unexpected: %s\n", helix_status_name(status));
        return 1;
    }
    helix_agent_free(agent);

    helix_assist_config assist{};
    helix_event_callback callback = [](void *user_data, const helix_event *event) {
        *static_cast<int *>(user_data) += event->kind == HELIX_EVENT_CLOSED;
    };
    int closed = 0;
    helix_assist *session = nullptr;
    status = helix_assist_start(&assist, callback, &closed, &session);
    if (status != HELIX_NULL_POINTER || session != nullptr) {
        std::fprintf(stderr, "unexpected: %s\n", helix_status_name(status));
        return 1;
    }
    helix_assist_free(session);
    helix_string_free(nullptr);
    std::printf("C++: header compiles and links; %s\n", helix_status_name(HELIX_OK));
    return 0;
}
