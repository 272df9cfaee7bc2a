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

    // The desk's option structs value-initialise; a captureless lambda is a page callback.
    helix_dial_options dial{};
    helix_disposition disposition{};
    disposition.code = "General Enquiry";
    char *ucid = nullptr;
    status = helix_agent_dial(nullptr, "9123456789", &dial, &ucid);
    uint32_t outcome = 0;
    helix_status disposed = helix_agent_dispose(nullptr, "1", &disposition, &outcome);
    helix_call_records_query query{};
    helix_page_callback on_page = [](void *, const char *) -> int32_t { return 1; };
    helix_status paged = helix_ozonetel_call_record_pages(nullptr, &query, 100, on_page,
                                                          nullptr, nullptr);
    if (status != HELIX_INVALID_INPUT || disposed != HELIX_INVALID_INPUT ||
        paged != HELIX_NULL_POINTER || ucid != nullptr || helix_last_agent_refusal() != 0) {
        std::fprintf(stderr, "unexpected: %s\n", helix_status_name(status));
        return 1;
    }
    helix_ozonetel_event *event = nullptr;
    const char body[] = "{\"eventType\":\"Call\",\"action\":\"Answered\",\"ucid\":\"1\"}";
    status = helix_ozonetel_event_parse("application/json",
                                        reinterpret_cast<const uint8_t *>(body),
                                        sizeof body - 1, &event);
    if (status != HELIX_OK || event->kind != HELIX_OZONETEL_EVENT_CALL ||
        std::strcmp(event->ucid, "1") != 0) {
        std::fprintf(stderr, "unexpected: %s: %s\n", helix_status_name(status),
                     helix_last_error());
        return 1;
    }
    helix_ozonetel_event_free(event);

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
    // The privacy calls from C++ (`set_private`'s parameter is not the C++ keyword).
    assist.deepgram_preset = "indian-multilingual";
    assist.redaction_disabled = false;
    uint32_t delivery = 0;
    if (helix_assist_set_private(session, true) != HELIX_NULL_POINTER ||
        helix_assist_send_audio_delivery(session, nullptr, 0, &delivery) != HELIX_NULL_POINTER ||
        delivery != 0) {
        std::fprintf(stderr, "unexpected: %s\n", helix_last_error());
        return 1;
    }
    char *redacted = nullptr;
    status = helix_redact("card 4111 1111 1111 1111", nullptr, &redacted);
    if (status != HELIX_OK || std::strstr(redacted, "[card]") == nullptr) {
        std::fprintf(stderr, "unexpected: %s: %s\n", helix_status_name(status),
                     helix_last_error());
        return 1;
    }
    helix_string_free(redacted);
    helix_assist_free(session);
    helix_string_free(nullptr);
    std::printf("C++: header compiles and links; %s\n", helix_status_name(HELIX_OK));
    return 0;
}
