/*
 * Bad input from C: NULL handles and strings, invalid UTF-8, out-of-range enum values,
 * agents missing the field a call needs (and no agent at all), the agent desk, webhook
 * payloads, CDR pages, zero-length audio, calls after stop, a callback that stops its own
 * session, the privacy fields of the assist config (preset, redaction, post-call JSON),
 * private stretches and helix_redact. Each must give
 * the right helix_status and a message, leave out-parameters untouched, and never crash.
 *
 * Needs the simulator: OZONETEL_BASE_URL and DEEPGRAM_URL (scripts/test.sh sets them).
 */
#define _POSIX_C_SOURCE 200809L

#include <helix_engage.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int checks = 0, failed = 0;

static void expect_at(int line, helix_status got, helix_status want, const char *what) {
    checks++;
    const char *message = helix_last_error();
    if (got != want) {
        fprintf(stderr, "FAIL line %d: %s: got %s, want %s (%s)\n", line, what,
                helix_status_name(got), helix_status_name(want), message);
        failed++;
    } else if (want != HELIX_OK && message[0] == '\0') {
        fprintf(stderr, "FAIL line %d: %s: %s without a message\n", line, what,
                helix_status_name(got));
        failed++;
    } else if (want == HELIX_OK && message[0] != '\0') {
        fprintf(stderr, "FAIL line %d: %s: success left a message: %s\n", line, what, message);
        failed++;
    } else {
        printf("ok   %-58s %s%s%s\n", what, helix_status_name(got), message[0] ? ": " : "",
               message);
    }
}
#define EXPECT(call, want, what) expect_at(__LINE__, (call), (want), (what))

static void expect_true_at(int line, int cond, const char *what) {
    checks++;
    if (!cond) {
        fprintf(stderr, "FAIL line %d: %s\n", line, what);
        failed++;
    }
}
#define EXPECT_TRUE(cond, what) expect_true_at(__LINE__, (cond), (what))

/* `helix_ozonetel_new` on a copy of `config` spoiled by `spoil` (assignments to `bad`)
 * returns `want`; `config` and `client` are the caller's. */
#define EXPECT_NEW_REFUSES(spoil, want, what)                          \
    do {                                                               \
        helix_ozonetel_config bad = config;                            \
        spoil;                                                         \
        EXPECT(helix_ozonetel_new(&bad, &client), (want), (what));     \
    } while (0)

/* `helix_ozonetel_agent_new` on a copy of `who` spoiled by `spoil` (assignments to `bad`)
 * returns `want`; `client`, `who` and `agent` are the caller's. */
#define EXPECT_AGENT_REFUSES(spoil, want, what)                                \
    do {                                                                       \
        helix_agent_ref bad = who;                                             \
        spoil;                                                                 \
        EXPECT(helix_ozonetel_agent_new(client, &bad, &agent), (want), (what)); \
    } while (0)

/* `helix_assist_start` (no callback) on a copy of `config` spoiled by `spoil` returns
 * `want`; `config` and `assist` are the caller's. */
#define EXPECT_START_REFUSES(spoil, want, what)                                   \
    do {                                                                          \
        helix_assist_config bad = config;                                         \
        spoil;                                                                    \
        EXPECT(helix_assist_start(&bad, NULL, NULL, &assist), (want), (what));    \
    } while (0)

/* A pointer value the library must never write over on failure. */
#define SENTINEL ((void *)0x5e17)

static const char BAD_UTF8[] = {'1', '2', (char)0xff, (char)0xfe, '\0'};

/* One of the simulator's seeded agents of acme, with every field (both are on its outbound
 * campaign and DID). */
static helix_agent_ref sim_agent(const char *id, const char *phone_name, const char *number) {
    helix_agent_ref who = {0};
    who.id = id;
    who.phone_name = phone_name;
    who.number = number;
    who.campaign = "Outbound_918041763265";
    who.did = "918041763265";
    return who;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void ozonetel_cases(void) {
    helix_ozonetel_config config = {0};
    config.user_name = "acme";
    config.api_key = "sim-api-key";
    config.base_url = getenv("OZONETEL_BASE_URL");

    helix_ozonetel *client = SENTINEL;
    EXPECT(helix_ozonetel_new(NULL, &client), HELIX_NULL_POINTER, "new: NULL config");
    EXPECT(helix_ozonetel_new(&config, NULL), HELIX_NULL_POINTER, "new: NULL out");
    EXPECT_NEW_REFUSES(bad.api_key = NULL, HELIX_NULL_POINTER, "new: NULL api_key");
    EXPECT_NEW_REFUSES(bad.user_name = BAD_UTF8, HELIX_INVALID_UTF8, "new: user_name not UTF-8");
    EXPECT_NEW_REFUSES(bad.auth_mode = 42, HELIX_INVALID_INPUT, "new: auth_mode 42");
    EXPECT_NEW_REFUSES(bad.region = 0xffffffffu, HELIX_INVALID_INPUT, "new: region out of range");
    EXPECT_NEW_REFUSES(bad.base_url = "ftp://example", HELIX_INVALID_INPUT, "new: ftp base_url");
    EXPECT_NEW_REFUSES(bad.timeout_ms = 0xffffffffu, HELIX_INVALID_INPUT,
                       "new: timeout_ms beyond 600000");
    EXPECT_NEW_REFUSES(bad.redis_url = "not a redis url", HELIX_INVALID_INPUT,
                       "new: malformed redis_url");
    EXPECT_TRUE(client == SENTINEL, "new: out untouched on failure");

    EXPECT(helix_ozonetel_new(&config, &client), HELIX_OK, "new: valid config");
    EXPECT_TRUE(client != SENTINEL && client != NULL, "new: out written on success");
    /* The account is live in this process with the in-memory store: a client naming another
     * store for it would mean two tokens fighting. */
    helix_ozonetel *live = client;
    EXPECT_NEW_REFUSES(bad.redis_url = "redis://127.0.0.1:1/", HELIX_INVALID_INPUT,
                       "new: a second store for a live account");
    EXPECT_TRUE(client == live, "new: out untouched on failure");

    helix_agent_ref who = sim_agent("agent1", "523590", "9123456780");
    helix_agent *agent = SENTINEL;
    EXPECT(helix_ozonetel_agent_new(NULL, &who, &agent), HELIX_NULL_POINTER,
           "agent_new: NULL client");
    EXPECT(helix_ozonetel_agent_new(client, NULL, &agent), HELIX_INVALID_INPUT,
           "agent_new: NULL agent_ref (no default agent)");
    EXPECT(helix_ozonetel_agent_new(client, &who, NULL), HELIX_NULL_POINTER,
           "agent_new: NULL out");
    EXPECT_AGENT_REFUSES(bad.id = NULL, HELIX_INVALID_INPUT, "agent_new: NULL id");
    EXPECT_TRUE(strstr(helix_last_error(), "agent_ref.id") != NULL, "agent_new: names the id");
    EXPECT_AGENT_REFUSES(bad.id = "", HELIX_INVALID_INPUT, "agent_new: empty id");
    EXPECT_AGENT_REFUSES(bad.id = "  ", HELIX_INVALID_INPUT, "agent_new: blank id");
    EXPECT_AGENT_REFUSES(bad.id = BAD_UTF8, HELIX_INVALID_UTF8, "agent_new: id not UTF-8");
    EXPECT_AGENT_REFUSES(bad.phone_name = BAD_UTF8, HELIX_INVALID_UTF8,
                         "agent_new: phone_name not UTF-8");
    EXPECT_AGENT_REFUSES(bad.phone_name = "52\n3590", HELIX_INVALID_INPUT,
                         "agent_new: phone_name with a newline");
    EXPECT_AGENT_REFUSES(bad.number = "12", HELIX_INVALID_INPUT, "agent_new: number too short");
    EXPECT_TRUE(strstr(helix_last_error(), "agent number") != NULL,
                "agent_new: names the number field");
    EXPECT_AGENT_REFUSES(bad.number = BAD_UTF8, HELIX_INVALID_UTF8, "agent_new: number not UTF-8");
    EXPECT_AGENT_REFUSES(bad.did = "12ab", HELIX_INVALID_INPUT, "agent_new: did not digits");
    EXPECT_AGENT_REFUSES(bad.campaign = BAD_UTF8, HELIX_INVALID_UTF8,
                         "agent_new: campaign not UTF-8");
    EXPECT_TRUE(agent == SENTINEL, "agent_new: out untouched on failure");
    EXPECT(helix_ozonetel_agent_new(client, &who, &agent), HELIX_OK, "agent_new: valid");
    EXPECT_TRUE(agent != SENTINEL && agent != NULL, "agent_new: out written on success");
    /* An agent known only by id: each call names the field it lacks, before sending. */
    helix_agent_ref id_only = {0};
    id_only.id = "agent1";
    helix_agent *bare = NULL;
    EXPECT(helix_ozonetel_agent_new(client, &id_only, &bare), HELIX_OK, "agent_new: id only");

    char *json = SENTINEL;
    EXPECT(helix_agent_call_control(NULL, HELIX_ACTION_HOLD, "123", NULL, &json),
           HELIX_INVALID_INPUT, "call_control: NULL agent (no default agent)");
    EXPECT(helix_agent_call_control(agent, 0, "123", NULL, &json), HELIX_INVALID_INPUT,
           "call_control: action 0");
    EXPECT(helix_agent_call_control(agent, 7, "123", NULL, &json), HELIX_INVALID_INPUT,
           "call_control: action 7");
    EXPECT(helix_agent_call_control(agent, 0xffffffffu, "123", NULL, &json),
           HELIX_INVALID_INPUT, "call_control: action 0xffffffff");
    EXPECT(helix_agent_call_control(agent, HELIX_ACTION_HOLD, NULL, NULL, &json),
           HELIX_NULL_POINTER, "call_control: NULL ucid");
    EXPECT(helix_agent_call_control(agent, HELIX_ACTION_HOLD, BAD_UTF8, NULL, &json),
           HELIX_INVALID_UTF8, "call_control: ucid not UTF-8");
    EXPECT(helix_agent_call_control(agent, HELIX_ACTION_HOLD, "abc", NULL, &json),
           HELIX_INVALID_INPUT, "call_control: ucid not digits");
    EXPECT(helix_agent_call_control(agent, HELIX_ACTION_CONFERENCE, "123", NULL, &json),
           HELIX_INVALID_INPUT, "call_control: CONFERENCE without number");
    EXPECT(helix_agent_call_control(agent, HELIX_ACTION_KICK_CALL, "123", BAD_UTF8, &json),
           HELIX_INVALID_UTF8, "call_control: number not UTF-8");
    EXPECT(helix_agent_call_control(agent, HELIX_ACTION_HOLD, "123456789", NULL, &json),
           HELIX_API, "call_control: unknown call (simulator)");
    EXPECT(helix_agent_call_control(bare, HELIX_ACTION_HOLD, "123", NULL, &json),
           HELIX_INVALID_INPUT, "call_control: agent without did/phone_name");
    EXPECT_TRUE(strstr(helix_last_error(), "agent1") != NULL, "call_control: names the agent");
    EXPECT_TRUE(json == SENTINEL, "call_control: out untouched on failure");

    EXPECT(helix_ozonetel_pause_recording(client, NULL, NULL), HELIX_NULL_POINTER,
           "pause_recording: NULL ucid");
    EXPECT(helix_ozonetel_resume_recording(NULL, "123", NULL), HELIX_NULL_POINTER,
           "resume_recording: NULL client");
    EXPECT(helix_ozonetel_abandoned_calls(client, NULL, NULL), HELIX_NULL_POINTER,
           "abandoned_calls: NULL out");
    helix_abandoned_calls_query missed = {0};
    missed.from_time = "today";
    EXPECT(helix_ozonetel_abandoned_calls(client, &missed, &json), HELIX_INVALID_INPUT,
           "abandoned_calls: malformed from_time");
    /* One parser in the core for every surface: a T separator is accepted, a time without
     * seconds is not (the Node suite and the core's local_time tests say the same). */
    missed.from_time = "2025-01-01T10:00";
    EXPECT(helix_ozonetel_abandoned_calls(client, &missed, &json), HELIX_INVALID_INPUT,
           "abandoned_calls: from_time without seconds");
    EXPECT_TRUE(strstr(helix_last_error(),
                       "query.from_time is \"2025-01-01T10:00\"; use account-local time as "
                       "YYYY-MM-DD HH:mm:ss") != NULL,
                "abandoned_calls: the core's date-time message");
    EXPECT(helix_ozonetel_call_records(client, NULL, NULL, NULL, &json), HELIX_NULL_POINTER,
           "call_records: NULL query");
    helix_call_records_query history = {0};
    EXPECT(helix_ozonetel_call_records(client, &history, NULL, NULL, &json), HELIX_NULL_POINTER,
           "call_records: zeroed query (from is required)");
    history.from = "2020-01-01 00:00:00";
    history.to = "2020-01-01 23:59:59";
    EXPECT(helix_ozonetel_call_records(client, &history, NULL, NULL, &json),
           HELIX_INVALID_INPUT, "call_records: more than 15 days back");
    history.from = "2020-01-01T00:00:00";
    history.to = "2020-01-01T23:59:59";
    EXPECT(helix_ozonetel_call_records(client, &history, NULL, NULL, &json),
           HELIX_INVALID_INPUT, "call_records: T separators parse (then 15 days back)");
    EXPECT_TRUE(strstr(helix_last_error(), "15 days") != NULL,
                "call_records: a T separator is accepted");
    EXPECT(helix_ozonetel_call_record(client, "123", "2025/01/01", &json), HELIX_INVALID_INPUT,
           "call_record: malformed date");
    EXPECT_TRUE(json == SENTINEL, "reports: out untouched on failure");

    helix_transfer *transfer = SENTINEL;
    EXPECT(helix_agent_transfer_start(agent, "123", "9000012345", 2, &transfer),
           HELIX_INVALID_INPUT, "transfer_start: mode 2");
    EXPECT(helix_agent_transfer_start(NULL, "123", "9000012345", HELIX_TRANSFER_WARM, &transfer),
           HELIX_INVALID_INPUT, "transfer_start: NULL agent (no default agent)");
    EXPECT(helix_agent_transfer_start(agent, "123", NULL, HELIX_TRANSFER_WARM, &transfer),
           HELIX_NULL_POINTER, "transfer_start: NULL target");
    EXPECT(helix_agent_transfer_start(agent, BAD_UTF8, "9000012345", HELIX_TRANSFER_WARM,
                                      &transfer),
           HELIX_INVALID_UTF8, "transfer_start: ucid not UTF-8");
    EXPECT(helix_agent_transfer_start(agent, "123", "9123456780", HELIX_TRANSFER_WARM,
                                      &transfer),
           HELIX_INVALID_INPUT, "transfer_start: target is the agent");
    EXPECT(helix_agent_transfer_start(bare, "123", "9000012345", HELIX_TRANSFER_WARM, &transfer),
           HELIX_INVALID_INPUT, "transfer_start: agent without a number");
    EXPECT_TRUE(transfer == SENTINEL, "transfer_start: out untouched on failure");
    EXPECT(helix_transfer_complete(NULL), HELIX_NULL_POINTER, "transfer_complete: NULL");
    EXPECT(helix_transfer_cancel(NULL), HELIX_NULL_POINTER, "transfer_cancel: NULL");
    uint32_t state = 77;
    EXPECT(helix_transfer_get_state(NULL, &state), HELIX_NULL_POINTER, "transfer_get_state: NULL");
    EXPECT_TRUE(state == 77, "transfer_get_state: out untouched on failure");

    /* A wrong key is HELIX_AUTH, and the message does not echo it. */
    helix_ozonetel *wrong = NULL;
    helix_ozonetel_config wrong_config = config;
    wrong_config.api_key = "not-the-key-CANARY";
    EXPECT(helix_ozonetel_new(&wrong_config, &wrong), HELIX_OK, "new: wrong key (not sent yet)");
    helix_agent *wrong_agent = NULL;
    EXPECT(helix_ozonetel_agent_new(wrong, &who, &wrong_agent), HELIX_OK,
           "agent_new: on the wrong key's client");
    helix_ozonetel_free(wrong); /* the agent keeps its client alive */
    EXPECT(helix_agent_call_control(wrong_agent, HELIX_ACTION_HOLD, "123456789", NULL, NULL),
           HELIX_AUTH, "call_control: refused key (simulator), client already freed");
    EXPECT_TRUE(strstr(helix_last_error(), "CANARY") == NULL, "auth message hides the key");
    helix_agent_free(wrong_agent);

    /* Success clears the thread's last error. */
    EXPECT(helix_agent_call_control(agent, 99, "1", NULL, NULL), HELIX_INVALID_INPUT,
           "a failure sets a message");
    helix_ozonetel *second = NULL;
    EXPECT(helix_ozonetel_new(&config, &second), HELIX_OK, "the next success clears it");
    helix_ozonetel_free(second);
    helix_agent_free(bare);
    helix_agent_free(agent);
    helix_ozonetel_free(client);
    helix_ozonetel_free(NULL);
    helix_agent_free(NULL);
    helix_transfer_free(NULL);
}

static int count_page(void *user_data, const char *page_json) {
    (void)user_data;
    (void)page_json;
    return 0;
}

/* The agent desk, webhooks and CDR pages: every new call with NULLs, empty strings, bad
 * UTF-8, missing agent fields and out-of-range values; a few answers from the simulator. */
static void desk_cases(void) {
    helix_ozonetel_config config = {0};
    config.user_name = "acme";
    config.api_key = "sim-api-key";
    config.base_url = getenv("OZONETEL_BASE_URL");
    config.events_base_url = getenv("OZONETEL_BASE_URL");
    helix_ozonetel *client = NULL;
    EXPECT(helix_ozonetel_new(&config, &client), HELIX_OK, "desk: client");
    EXPECT_NEW_REFUSES(bad.events_base_url = BAD_UTF8, HELIX_INVALID_UTF8,
                       "new: events_base_url not UTF-8");
    EXPECT_NEW_REFUSES(bad.events_base_url = "ftp://events", HELIX_INVALID_INPUT,
                       "new: ftp events_base_url");

    helix_agent_ref who = sim_agent("agent2", "523591", "9123456781");
    helix_agent *agent = NULL, *bare = NULL;
    EXPECT(helix_ozonetel_agent_new(client, &who, &agent), HELIX_OK, "desk: agent2");
    helix_agent_ref id_only = {0};
    id_only.id = "agent2";
    EXPECT(helix_ozonetel_agent_new(client, &id_only, &bare), HELIX_OK, "desk: agent2, id only");
    const char *password = "sim-agent2-pass";

    /* login / logout: the password is required, checked, and never echoed. */
    uint32_t outcome = 77;
    EXPECT(helix_agent_login(NULL, password, &outcome), HELIX_INVALID_INPUT,
           "login: NULL agent (no default agent)");
    EXPECT(helix_agent_login(agent, NULL, &outcome), HELIX_NULL_POINTER, "login: NULL password");
    EXPECT(helix_agent_login(agent, "", &outcome), HELIX_INVALID_INPUT, "login: empty password");
    EXPECT(helix_agent_login(agent, BAD_UTF8, &outcome), HELIX_INVALID_UTF8,
           "login: password not UTF-8");
    EXPECT(helix_agent_login(agent, "pass\nword", &outcome), HELIX_INVALID_INPUT,
           "login: password with a newline");
    EXPECT(helix_agent_login(bare, password, &outcome), HELIX_INVALID_INPUT,
           "login: agent without a number");
    EXPECT_TRUE(strstr(helix_last_error(), "number") != NULL, "login: names the number");
    EXPECT(helix_agent_login(agent, "wrong-CANARY-pass", &outcome), HELIX_AUTH,
           "login: wrong password (simulator)");
    EXPECT_TRUE(strstr(helix_last_error(), "CANARY") == NULL, "login: message hides the password");
    EXPECT(helix_agent_logout(NULL, password, &outcome), HELIX_INVALID_INPUT,
           "logout: NULL agent");
    EXPECT(helix_agent_logout(agent, NULL, &outcome), HELIX_NULL_POINTER, "logout: NULL password");
    EXPECT_TRUE(outcome == 77, "login/logout: out untouched on failure");
    EXPECT(helix_agent_logout(agent, password, &outcome), HELIX_OK,
           "logout: already out (simulator)");
    EXPECT_TRUE(outcome == HELIX_LOGIN_NOT_LOGGED_IN, "logout: not logged in is an outcome");

    /* state: refused for the agent's state, with the reason as a code. */
    char *json = SENTINEL;
    EXPECT(helix_agent_set_ready(NULL, &json), HELIX_INVALID_INPUT, "set_ready: NULL agent");
    EXPECT(helix_agent_set_ready(agent, &json), HELIX_AGENT_STATE,
           "set_ready: logged out (simulator)");
    EXPECT_TRUE(helix_last_agent_refusal() == HELIX_REFUSAL_NOT_LOGGED_IN,
                "set_ready: refusal not_logged_in");
    EXPECT(helix_agent_pause(agent, NULL, &json), HELIX_NULL_POINTER, "pause: NULL reason");
    EXPECT_TRUE(helix_last_agent_refusal() == HELIX_REFUSAL_NONE, "refusal reset by the next call");
    EXPECT(helix_agent_pause(agent, "  ", &json), HELIX_INVALID_INPUT, "pause: blank reason");
    EXPECT(helix_agent_pause(agent, BAD_UTF8, &json), HELIX_INVALID_UTF8,
           "pause: reason not UTF-8");
    EXPECT(helix_agent_pause(NULL, "Break", &json), HELIX_INVALID_INPUT, "pause: NULL agent");
    EXPECT(helix_agent_force_ready(NULL, password, &json), HELIX_INVALID_INPUT,
           "force_ready: NULL agent");
    EXPECT(helix_agent_force_ready(agent, NULL, &json), HELIX_NULL_POINTER,
           "force_ready: NULL password");
    EXPECT(helix_agent_force_ready(bare, password, &json), HELIX_INVALID_INPUT,
           "force_ready: agent without a number");
    EXPECT_TRUE(json == SENTINEL, "state: out untouched on failure");

    /* dials */
    char *ucid = SENTINEL;
    helix_dial_options dial = {0};
    EXPECT(helix_agent_dial(NULL, "9876512345", NULL, &ucid), HELIX_INVALID_INPUT,
           "dial: NULL agent");
    EXPECT(helix_agent_dial(agent, NULL, NULL, &ucid), HELIX_NULL_POINTER, "dial: NULL number");
    EXPECT(helix_agent_dial(agent, "9876512345", NULL, NULL), HELIX_NULL_POINTER,
           "dial: NULL out");
    EXPECT(helix_agent_dial(agent, "12", NULL, &ucid), HELIX_INVALID_INPUT, "dial: short number");
    EXPECT(helix_agent_dial(agent, BAD_UTF8, NULL, &ucid), HELIX_INVALID_UTF8,
           "dial: number not UTF-8");
    EXPECT(helix_agent_dial(bare, "9876512345", NULL, &ucid), HELIX_INVALID_INPUT,
           "dial: agent without a campaign");
    EXPECT_TRUE(strstr(helix_last_error(), "campaign") != NULL, "dial: names the campaign");
    dial.uui = BAD_UTF8;
    EXPECT(helix_agent_dial(agent, "9876512345", &dial, &ucid), HELIX_INVALID_UTF8,
           "dial: options.uui not UTF-8");
    dial.uui = NULL;
    dial.campaign = "";
    EXPECT(helix_agent_dial(bare, "9876512345", &dial, &ucid), HELIX_INVALID_INPUT,
           "dial: empty options.campaign");
    EXPECT(helix_agent_dial(agent, "9876512345", NULL, &ucid), HELIX_AGENT_STATE,
           "dial: agent logged out (simulator)");
    EXPECT_TRUE(helix_last_agent_refusal() == HELIX_REFUSAL_NOT_AVAILABLE,
                "dial: refusal not_available");
    helix_phone_dial_options phone = {0};
    EXPECT(helix_agent_phone_dial(NULL, "9876512345", NULL, &ucid), HELIX_INVALID_INPUT,
           "phone_dial: NULL agent");
    EXPECT(helix_agent_phone_dial(bare, "9876512345", NULL, &ucid), HELIX_INVALID_INPUT,
           "phone_dial: agent without a phone_name");
    phone.check_status = 3;
    EXPECT(helix_agent_phone_dial(agent, "9876512345", &phone, &ucid), HELIX_INVALID_INPUT,
           "phone_dial: check_status 3");
    phone.check_status = 0;
    phone.call_limit_secs = 0xffffffffu;
    EXPECT(helix_agent_phone_dial(agent, "9876512345", &phone, &ucid), HELIX_INVALID_INPUT,
           "phone_dial: call_limit beyond a day");
    phone.call_limit_secs = 0;
    phone.campaign = BAD_UTF8;
    EXPECT(helix_agent_phone_dial(agent, "9876512345", &phone, &ucid), HELIX_INVALID_UTF8,
           "phone_dial: options.campaign not UTF-8");
    EXPECT(helix_agent_phone_dial(agent, "9876512345", NULL, NULL), HELIX_NULL_POINTER,
           "phone_dial: NULL out");
    EXPECT_TRUE(ucid == SENTINEL, "dials: out untouched on failure");

    /* dispositions */
    helix_disposition d = {0};
    d.code = "General Enquiry";
    uint32_t disposed = 77;
    EXPECT(helix_agent_dispose(NULL, "123", &d, &disposed), HELIX_INVALID_INPUT,
           "dispose: NULL agent");
    EXPECT(helix_agent_dispose(agent, NULL, &d, &disposed), HELIX_NULL_POINTER,
           "dispose: NULL ucid");
    EXPECT(helix_agent_dispose(agent, "123", NULL, &disposed), HELIX_NULL_POINTER,
           "dispose: NULL disposition");
    EXPECT(helix_agent_dispose(agent, "abc", &d, &disposed), HELIX_INVALID_INPUT,
           "dispose: ucid not digits");
    EXPECT(helix_agent_dispose(agent, "12345678901234567890", &d, &disposed),
           HELIX_INVALID_INPUT, "dispose: 20-digit ucid");
    EXPECT(helix_agent_dispose(bare, "123", &d, &disposed), HELIX_INVALID_INPUT,
           "dispose: agent without a did");
    EXPECT_TRUE(strstr(helix_last_error(), "did") != NULL, "dispose: names the did");
    helix_disposition bad_d = d;
    bad_d.code = NULL;
    EXPECT(helix_agent_dispose(agent, "123", &bad_d, &disposed), HELIX_NULL_POINTER,
           "dispose: NULL code");
    bad_d.code = " ";
    EXPECT(helix_agent_dispose(agent, "123", &bad_d, &disposed), HELIX_INVALID_INPUT,
           "dispose: blank code");
    bad_d = d;
    bad_d.comments = BAD_UTF8;
    EXPECT(helix_agent_dispose(agent, "123", &bad_d, &disposed), HELIX_INVALID_UTF8,
           "dispose: comments not UTF-8");
    bad_d = d;
    bad_d.pause_reason = "";
    EXPECT(helix_agent_dispose(agent, "123", &bad_d, &disposed), HELIX_INVALID_INPUT,
           "dispose: empty pause_reason");
    bad_d = d;
    bad_d.callback_at = "tomorrow";
    EXPECT(helix_agent_dispose(agent, "123", &bad_d, &disposed), HELIX_INVALID_INPUT,
           "dispose: malformed callback_at");
    EXPECT(helix_agent_dispose(agent, "123456789", &d, &disposed), HELIX_API,
           "dispose: unknown call (simulator)");
    EXPECT_TRUE(disposed == 77, "dispose: out untouched on failure");
    EXPECT(helix_ozonetel_dispositions(NULL, &json), HELIX_NULL_POINTER,
           "dispositions: NULL client");
    EXPECT(helix_ozonetel_dispositions(client, NULL), HELIX_NULL_POINTER,
           "dispositions: NULL out");
    char *codes = NULL;
    EXPECT(helix_ozonetel_dispositions(client, &codes), HELIX_OK, "dispositions (simulator)");
    EXPECT_TRUE(codes != NULL && codes[0] == '[' && strstr(codes, "\"General Enquiry\"") != NULL,
                "dispositions: a JSON array of the account's codes");
    helix_string_free(codes);

    /* subscriptions */
    EXPECT(helix_ozonetel_subscribe_events(NULL, "https://a", "https://b", NULL),
           HELIX_NULL_POINTER, "subscribe: NULL client");
    EXPECT(helix_ozonetel_subscribe_events(client, NULL, "https://b", NULL), HELIX_NULL_POINTER,
           "subscribe: NULL call_url");
    EXPECT(helix_ozonetel_subscribe_events(client, "https://a", BAD_UTF8, NULL),
           HELIX_INVALID_UTF8, "subscribe: agent_url not UTF-8");
    EXPECT(helix_ozonetel_event_subscriptions(client, NULL), HELIX_NULL_POINTER,
           "subscriptions: NULL out");
    EXPECT(helix_ozonetel_unsubscribe_events(client, 0, NULL), HELIX_INVALID_INPUT,
           "unsubscribe: kind 0");
    EXPECT(helix_ozonetel_unsubscribe_events(client, 4, NULL), HELIX_INVALID_INPUT,
           "unsubscribe: kind 4");
    EXPECT(helix_ozonetel_unsubscribe_events(NULL, HELIX_SUBSCRIPTION_BOTH, NULL),
           HELIX_NULL_POINTER, "unsubscribe: NULL client");

    /* event parsing: ids stay exact text; bad bodies are refused, never a crash */
    helix_ozonetel_event *event = SENTINEL;
    const char call_json[] =
        "{\"eventType\":\"Call\",\"action\":\"Answered\",\"ucid\":31733467784618213,"
        "\"monitor_ucid\":\"31733467784618999\",\"agent_id\":\"agent2\","
        "\"event_time\":\"2020-01-01 10:00:00\"}";
    EXPECT(helix_ozonetel_event_parse(NULL, (const uint8_t *)call_json, strlen(call_json),
                                      &event),
           HELIX_NULL_POINTER, "event_parse: NULL content_type");
    EXPECT(helix_ozonetel_event_parse("application/json", NULL, 10, &event), HELIX_NULL_POINTER,
           "event_parse: NULL body, len 10");
    EXPECT(helix_ozonetel_event_parse("application/json", NULL, 0, &event), HELIX_INVALID_INPUT,
           "event_parse: empty body");
    EXPECT(helix_ozonetel_event_parse(BAD_UTF8, (const uint8_t *)call_json, strlen(call_json),
                                      &event),
           HELIX_INVALID_UTF8, "event_parse: content_type not UTF-8");
    EXPECT(helix_ozonetel_event_parse("application/json", (const uint8_t *)"{not json", 9,
                                      &event),
           HELIX_INVALID_INPUT, "event_parse: malformed JSON");
    EXPECT(helix_ozonetel_event_parse("application/json",
                                      (const uint8_t *)"{\"eventType\":\"Chat\"}", 20, &event),
           HELIX_INVALID_INPUT, "event_parse: another eventType");
    EXPECT(helix_ozonetel_event_parse("text/plain", (const uint8_t *)BAD_UTF8, 4, &event),
           HELIX_INVALID_INPUT, "event_parse: body not UTF-8");
    EXPECT(helix_ozonetel_event_parse("application/json", (const uint8_t *)call_json,
                                      strlen(call_json), NULL),
           HELIX_NULL_POINTER, "event_parse: NULL out");
    EXPECT_TRUE(event == SENTINEL, "event_parse: out untouched on failure");
    /* The body need not be NUL-terminated: only `len` bytes are read. */
    EXPECT(helix_ozonetel_event_parse("application/json; charset=utf-8",
                                      (const uint8_t *)call_json, strlen(call_json), &event),
           HELIX_OK, "event_parse: a call event");
    EXPECT_TRUE(event->kind == HELIX_OZONETEL_EVENT_CALL && strcmp(event->action, "Answered") == 0,
                "event: kind and action");
    EXPECT_TRUE(strcmp(event->ucid, "31733467784618213") == 0,
                "event: a UCID above 2^53 is exact text");
    EXPECT_TRUE(strcmp(event->monitor_ucid, "31733467784618999") == 0 &&
                    strcmp(event->agent_id, "agent2") == 0,
                "event: monitor_ucid and agent_id");
    EXPECT_TRUE(strstr(event->json, "\"ucid\":\"31733467784618213\"") != NULL,
                "event: the JSON keeps the UCID a string");
    char *record = SENTINEL;
    EXPECT(helix_ozonetel_call_record_for(NULL, event, &record), HELIX_NULL_POINTER,
           "call_record_for: NULL client");
    EXPECT(helix_ozonetel_call_record_for(client, NULL, &record), HELIX_NULL_POINTER,
           "call_record_for: NULL event");
    EXPECT(helix_ozonetel_call_record_for(client, event, NULL), HELIX_NULL_POINTER,
           "call_record_for: NULL out");
    EXPECT(helix_ozonetel_call_record_for(client, event, &record), HELIX_INVALID_INPUT,
           "call_record_for: a day more than 15 days back");
    helix_ozonetel_event_free(event);
    const char form[] = "eventType=agent&action=Pause&agent_id=agent2&ucid=&reason=Lunch";
    EXPECT(helix_ozonetel_event_parse("application/x-www-form-urlencoded", (const uint8_t *)form,
                                      strlen(form), &event),
           HELIX_OK, "event_parse: a form agent event");
    EXPECT_TRUE(event->kind == HELIX_OZONETEL_EVENT_AGENT && strcmp(event->action, "Pause") == 0 &&
                    event->ucid[0] == '\0' && event->monitor_ucid[0] == '\0',
                "event: agent event fields (empty strings, never NULL)");
    EXPECT(helix_ozonetel_call_record_for(client, event, &record), HELIX_INVALID_INPUT,
           "call_record_for: an agent event");
    EXPECT_TRUE(record == SENTINEL, "call_record_for: out untouched on failure");
    helix_ozonetel_event_free(event);
    helix_ozonetel_event_free(NULL);

    /* CDR pages: the callback is required; the page size and window are checked first. */
    helix_call_records_query q = {0};
    q.from = "2020-01-01 00:00:00";
    q.to = "2020-01-01 23:59:59";
    uint32_t pages = 77;
    EXPECT(helix_ozonetel_call_record_pages(client, &q, 100, NULL, NULL, &pages),
           HELIX_NULL_POINTER, "call_record_pages: NULL callback");
    EXPECT(helix_ozonetel_call_record_pages(NULL, &q, 100, count_page, NULL, &pages),
           HELIX_NULL_POINTER, "call_record_pages: NULL client");
    EXPECT(helix_ozonetel_call_record_pages(client, NULL, 100, count_page, NULL, &pages),
           HELIX_NULL_POINTER, "call_record_pages: NULL query");
    EXPECT(helix_ozonetel_call_record_pages(client, &q, 0, count_page, NULL, &pages),
           HELIX_INVALID_INPUT, "call_record_pages: page_size 0");
    EXPECT(helix_ozonetel_call_record_pages(client, &q, 501, count_page, NULL, &pages),
           HELIX_INVALID_INPUT, "call_record_pages: page_size 501");
    EXPECT(helix_ozonetel_call_record_pages(client, &q, 100, count_page, NULL, &pages),
           HELIX_INVALID_INPUT, "call_record_pages: more than 15 days back");
    q.status = BAD_UTF8;
    EXPECT(helix_ozonetel_call_record_pages(client, &q, 100, count_page, NULL, &pages),
           HELIX_INVALID_UTF8, "call_record_pages: status not UTF-8");
    EXPECT_TRUE(pages == 77, "call_record_pages: out untouched on failure");

    helix_agent_free(bare);
    /* The agent outlives its client. */
    helix_ozonetel_free(client);
    EXPECT(helix_agent_dial(agent, "12", NULL, &ucid), HELIX_INVALID_INPUT,
           "dial: after the client was freed (checked, nothing sent)");
    helix_agent_free(agent);
}

struct stopper {
    _Atomic(helix_assist *) assist;
    atomic_int stop_status; /* -1 until the callback stopped the session */
    atomic_int closed;
    atomic_int events;
};

/* Stops its own session from the event thread on the first final transcript. */
static void stop_from_callback(void *user_data, const helix_event *event) {
    struct stopper *s = user_data;
    atomic_fetch_add(&s->events, 1);
    if (event->kind == HELIX_EVENT_CLOSED) {
        atomic_fetch_add(&s->closed, 1);
    }
    if (event->kind == HELIX_EVENT_TRANSCRIPT && atomic_load(&s->stop_status) == -1 &&
        strstr(event->json, "\"isFinal\":true") != NULL) {
        char *summary = NULL;
        atomic_store(&s->stop_status, (int)helix_assist_stop(atomic_load(&s->assist), &summary));
        helix_string_free(summary);
    }
}

static void assist_cases(void) {
    helix_assist_config config = {0};
    config.deepgram_api_key = "sim-deepgram-key";
    config.deepgram_url = getenv("DEEPGRAM_URL");

    helix_assist *assist = SENTINEL;
    EXPECT(helix_assist_start(NULL, NULL, NULL, &assist), HELIX_NULL_POINTER,
           "assist_start: NULL config");
    EXPECT(helix_assist_start(&config, NULL, NULL, NULL), HELIX_NULL_POINTER,
           "assist_start: NULL out");
    EXPECT_START_REFUSES(bad.deepgram_api_key = NULL, HELIX_NULL_POINTER,
                         "assist_start: NULL deepgram key");
    EXPECT_START_REFUSES(bad.deepgram_url = BAD_UTF8, HELIX_INVALID_UTF8,
                         "assist_start: deepgram_url not UTF-8");
    EXPECT_START_REFUSES(bad.encoding = 9, HELIX_INVALID_INPUT,
                         "assist_start: encoding 9");
    EXPECT_START_REFUSES(bad.channel_layout = 5, HELIX_INVALID_INPUT,
                         "assist_start: channel_layout 5");
    EXPECT_START_REFUSES(bad.sample_rate = 0xffffffffu, HELIX_INVALID_INPUT,
                         "assist_start: sample_rate out of range");
    EXPECT_START_REFUSES(bad.channels = 17, HELIX_INVALID_INPUT,
                         "assist_start: 17 channels");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key",
                          bad.suggestion_interval_ms = 0xffffffffu),
                         HELIX_INVALID_INPUT,
                         "assist_start: suggestion_interval_ms beyond an hour");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key",
                          bad.suggestion_min_gap_ms = 0xffffffffu),
                         HELIX_INVALID_INPUT,
                         "assist_start: suggestion_min_gap_ms beyond an hour");
    EXPECT_START_REFUSES(bad.lead_json = "{\"name\": 12}", HELIX_INVALID_INPUT,
                         "assist_start: lead_json of the wrong shape");
    EXPECT_START_REFUSES(bad.deepgram_preset = "indian", HELIX_INVALID_INPUT,
                         "assist_start: unknown deepgram_preset");
    EXPECT_TRUE(strstr(helix_last_error(), "config.deepgram_preset \"indian\"") != NULL,
                "assist_start: names the preset it refuses");
    EXPECT_START_REFUSES(bad.deepgram_preset = BAD_UTF8, HELIX_INVALID_UTF8,
                         "assist_start: deepgram_preset not UTF-8");
    EXPECT_START_REFUSES(bad.deepgram_redact = "pci,ssn", HELIX_INVALID_INPUT,
                         "assist_start: unknown deepgram_redact item");
    EXPECT_TRUE(strstr(helix_last_error(), "config.deepgram_redact[1] \"ssn\"") != NULL,
                "assist_start: names the redact item it refuses");
    EXPECT_START_REFUSES(bad.deepgram_redact = "pci,,numbers", HELIX_INVALID_INPUT,
                         "assist_start: empty deepgram_redact item");
    EXPECT_START_REFUSES((bad.language = "hi", bad.deepgram_redact = "pii"), HELIX_INVALID_INPUT,
                         "assist_start: entity redaction on a Hindi call (English only)");
    EXPECT_START_REFUSES((bad.deepgram_preset = "indian-multilingual", bad.deepgram_redact = "pci"),
                         HELIX_INVALID_INPUT,
                         "assist_start: pci with the multilingual preset (English only)");
    EXPECT_START_REFUSES(bad.redaction_keywords = "MRN,,UHID", HELIX_INVALID_INPUT,
                         "assist_start: empty redaction keyword");
    EXPECT_TRUE(strstr(helix_last_error(), "redaction.keywords[1]") != NULL,
                "assist_start: names the keyword it refuses");
    EXPECT_START_REFUSES(bad.redaction_keywords = BAD_UTF8, HELIX_INVALID_UTF8,
                         "assist_start: redaction_keywords not UTF-8");
    EXPECT_START_REFUSES(bad.post_call_json = "{}", HELIX_INVALID_INPUT,
                         "assist_start: post_call_json without openai_api_key");
    EXPECT_TRUE(strstr(helix_last_error(), "openai_api_key") != NULL,
                "assist_start: says post_call_json needs the LLM key");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key", bad.post_call_json = "{not json"),
                         HELIX_INVALID_INPUT, "assist_start: post_call_json malformed");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key",
                          bad.post_call_json = "{\"timeout_ms\":5000}"),
                         HELIX_INVALID_INPUT, "assist_start: post_call_json unknown field");
    EXPECT_TRUE(strstr(helix_last_error(), "timeout_ms") != NULL,
                "assist_start: names the unknown post_call_json field");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key",
                          bad.post_call_json = "{\"timeoutMs\":0}"),
                         HELIX_INVALID_INPUT, "assist_start: post_call_json timeoutMs 0");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key",
                          bad.post_call_json = "{\"dispositions\":[\"Sale\",\"Sale\"]}"),
                         HELIX_INVALID_INPUT, "assist_start: post_call_json duplicate disposition");
    EXPECT_START_REFUSES((bad.openai_api_key = "sim-openai-key", bad.post_call_json = BAD_UTF8),
                         HELIX_INVALID_UTF8, "assist_start: post_call_json not UTF-8");
    EXPECT_START_REFUSES(bad.deepgram_api_key = "wrong-deepgram-key", HELIX_AUTH,
                         "assist_start: refused key (simulator)");
    EXPECT_TRUE(assist == SENTINEL, "assist_start: out untouched on failure");

    EXPECT(helix_assist_start(&config, NULL, NULL, &assist), HELIX_OK,
           "assist_start: valid, no callback");
    uint8_t audio[640] = {0};
    bool queued = false;
    EXPECT(helix_assist_send_audio(NULL, audio, sizeof audio, &queued), HELIX_NULL_POINTER,
           "send_audio: NULL session");
    EXPECT(helix_assist_send_audio(assist, NULL, 10, &queued), HELIX_NULL_POINTER,
           "send_audio: NULL data, len 10");
    EXPECT(helix_assist_send_audio(assist, audio, 0, &queued), HELIX_INVALID_INPUT,
           "send_audio: zero-length audio");
    EXPECT_TRUE(strstr(helix_last_error(), "the audio chunk is empty; nothing was sent") != NULL,
                "send_audio: the core's empty-chunk rule (Node throws the same)");
    EXPECT(helix_assist_send_audio(assist, NULL, 0, &queued), HELIX_INVALID_INPUT,
           "send_audio: NULL data, len 0");
    EXPECT(helix_assist_send_audio(assist, audio, sizeof audio, &queued), HELIX_OK,
           "send_audio: a real chunk");
    EXPECT_TRUE(queued, "send_audio: queued");
    EXPECT(helix_assist_send_audio(assist, audio, sizeof audio, NULL), HELIX_OK,
           "send_audio: NULL out_queued is allowed");
    uint32_t delivery = 77;
    EXPECT(helix_assist_send_audio_delivery(NULL, audio, sizeof audio, &delivery),
           HELIX_NULL_POINTER, "send_audio_delivery: NULL session");
    EXPECT(helix_assist_send_audio_delivery(assist, NULL, 10, &delivery), HELIX_NULL_POINTER,
           "send_audio_delivery: NULL data, len 10");
    EXPECT(helix_assist_send_audio_delivery(assist, audio, 0, &delivery), HELIX_INVALID_INPUT,
           "send_audio_delivery: zero-length audio");
    EXPECT_TRUE(delivery == 77, "send_audio_delivery: out untouched on failure");
    EXPECT(helix_assist_send_audio_delivery(assist, audio, sizeof audio, &delivery), HELIX_OK,
           "send_audio_delivery: a real chunk");
    EXPECT_TRUE(delivery == HELIX_AUDIO_QUEUED, "send_audio_delivery: queued");
    EXPECT(helix_assist_set_private(NULL, true), HELIX_NULL_POINTER, "set_private: NULL session");
    EXPECT(helix_assist_set_private(assist, true), HELIX_OK, "set_private: on");
    EXPECT(helix_assist_set_private(assist, true), HELIX_OK, "set_private: on again (no-op)");
    EXPECT(helix_assist_send_audio_delivery(assist, audio, sizeof audio, &delivery), HELIX_OK,
           "send_audio_delivery: while private");
    EXPECT_TRUE(delivery == HELIX_AUDIO_WITHHELD, "send_audio_delivery: withheld while private");
    queued = true;
    EXPECT(helix_assist_send_audio(assist, audio, sizeof audio, &queued), HELIX_OK,
           "send_audio: while private");
    EXPECT_TRUE(!queued, "send_audio: not queued while private");
    EXPECT(helix_assist_send_audio_delivery(assist, audio, sizeof audio, NULL), HELIX_OK,
           "send_audio_delivery: NULL out_delivery is allowed");
    EXPECT(helix_assist_set_private(assist, false), HELIX_OK, "set_private: off");
    EXPECT(helix_assist_send_audio_delivery(assist, audio, sizeof audio, &delivery), HELIX_OK,
           "send_audio_delivery: after the private stretch");
    EXPECT_TRUE(delivery == HELIX_AUDIO_QUEUED, "send_audio_delivery: queued again");
    EXPECT(helix_assist_update_lead(assist, "{not json"), HELIX_INVALID_INPUT,
           "update_lead: malformed JSON");
    EXPECT(helix_assist_update_lead(assist, "{\"nickname\":\"x\"}"), HELIX_INVALID_INPUT,
           "update_lead: unknown field");
    EXPECT(helix_assist_update_lead(assist, "{\"history\":\"+919876543210\"}"),
           HELIX_INVALID_INPUT, "update_lead: a field of the wrong type");
    EXPECT_TRUE(strstr(helix_last_error(), "9876543210") == NULL,
                "update_lead: the refusal does not repeat the number");
    EXPECT(helix_assist_update_lead(assist, BAD_UTF8), HELIX_INVALID_UTF8,
           "update_lead: not UTF-8");
    EXPECT(helix_assist_update_lead(assist, NULL), HELIX_NULL_POINTER, "update_lead: NULL");
    EXPECT(helix_assist_update_lead(assist, "{\"name\":\"Asha\"}"), HELIX_OK,
           "update_lead: valid");
    char *json = SENTINEL;
    EXPECT(helix_assist_metrics(assist, NULL), HELIX_NULL_POINTER, "metrics: NULL out");

    char *summary = NULL;
    EXPECT(helix_assist_stop(assist, &summary), HELIX_OK, "stop");
    EXPECT_TRUE(summary != NULL && strstr(summary, "\"transcript\"") != NULL,
                "stop: summary JSON");
    helix_string_free(summary);
    EXPECT(helix_assist_stop(assist, &json), HELIX_CLOSED, "stop: a second time");
    EXPECT(helix_assist_send_audio(assist, audio, sizeof audio, &queued), HELIX_CLOSED,
           "send_audio: after stop");
    EXPECT(helix_assist_set_on_hold(assist, true), HELIX_CLOSED, "set_on_hold: after stop");
    EXPECT(helix_assist_set_private(assist, true), HELIX_CLOSED, "set_private: after stop");
    delivery = 77;
    EXPECT(helix_assist_send_audio_delivery(assist, audio, sizeof audio, &delivery), HELIX_CLOSED,
           "send_audio_delivery: after stop");
    EXPECT_TRUE(delivery == 77, "send_audio_delivery: out untouched after stop");
    EXPECT(helix_assist_finalize(assist), HELIX_CLOSED, "finalize: after stop");
    EXPECT(helix_assist_update_lead(assist, "{}"), HELIX_CLOSED, "update_lead: after stop");
    EXPECT(helix_assist_metrics(assist, &json), HELIX_CLOSED, "metrics: after stop");
    EXPECT_TRUE(json == SENTINEL, "after stop: out untouched");
    helix_assist_free(assist);
    helix_assist_free(NULL);

    /* A callback may stop its own session: no deadlock, the Closed event still arrives. */
    struct stopper s;
    atomic_init(&s.stop_status, -1);
    atomic_init(&s.closed, 0);
    atomic_init(&s.events, 0);
    atomic_init(&s.assist, NULL);
    helix_assist *self_stopping = NULL;
    EXPECT(helix_assist_start(&config, stop_from_callback, &s, &self_stopping), HELIX_OK,
           "assist_start: callback that stops its session");
    atomic_store(&s.assist, self_stopping); /* before any audio, so before any final */
    static uint8_t second[3200];
    for (int i = 0; i < 200 && atomic_load(&s.stop_status) == -1; i++) {
        helix_status st = helix_assist_send_audio(self_stopping, second, sizeof second, NULL);
        if (st != HELIX_OK && st != HELIX_CLOSED) {
            EXPECT(st, HELIX_OK, "send_audio while the callback stops");
            break;
        }
        sleep_ms(5);
    }
    for (int i = 0; i < 200 && atomic_load(&s.closed) == 0; i++) {
        sleep_ms(50);
    }
    EXPECT_TRUE(atomic_load(&s.stop_status) == HELIX_OK, "stop from inside the callback");
    EXPECT_TRUE(atomic_load(&s.closed) == 1, "closed event after a stop from the callback");
    EXPECT(helix_assist_send_audio(self_stopping, second, sizeof second, NULL), HELIX_CLOSED,
           "send_audio: after the callback stopped it");
    helix_assist_free(self_stopping);
}

struct slow {
    atomic_int events;
    atomic_int closed;
    atomic_int after_closed; /* events delivered after Closed: must stay 0 */
};

/* A deliberately slow consumer: 30 ms per event. */
static void slow_callback(void *user_data, const helix_event *event) {
    struct slow *s = user_data;
    if (atomic_load(&s->closed) > 0) {
        atomic_fetch_add(&s->after_closed, 1);
    }
    atomic_fetch_add(&s->events, 1);
    sleep_ms(30);
    if (event->kind == HELIX_EVENT_CLOSED) {
        atomic_fetch_add(&s->closed, 1);
    }
}

/* helix_assist_stop returns only after every queued event, Closed last, was delivered. */
static void slow_consumer_case(void) {
    helix_assist_config config = {0};
    config.deepgram_api_key = "sim-deepgram-key";
    config.deepgram_url = getenv("DEEPGRAM_URL");
    struct slow s;
    atomic_init(&s.events, 0);
    atomic_init(&s.closed, 0);
    atomic_init(&s.after_closed, 0);
    helix_assist *assist = NULL;
    EXPECT(helix_assist_start(&config, slow_callback, &s, &assist), HELIX_OK,
           "slow consumer: start");
    static uint8_t chunk[3200]; /* 50 ms of 16 kHz stereo silence */
    for (int i = 0; i < 200; i++) {
        EXPECT(helix_assist_send_audio(assist, chunk, sizeof chunk, NULL), HELIX_OK,
               "slow consumer: send_audio");
    }
    char *summary = NULL;
    EXPECT(helix_assist_stop(assist, &summary), HELIX_OK, "slow consumer: stop");
    EXPECT_TRUE(atomic_load(&s.closed) == 1, "slow consumer: Closed delivered before stop returned");
    EXPECT_TRUE(atomic_load(&s.events) > 1, "slow consumer: events before Closed");
    int seen = atomic_load(&s.events);
    helix_string_free(summary);
    helix_assist_free(assist);
    EXPECT_TRUE(atomic_load(&s.events) == seen, "slow consumer: nothing after stop returned");
    EXPECT_TRUE(atomic_load(&s.after_closed) == 0, "slow consumer: nothing after Closed");
}

/* helix_redact: the local redactor on one text (its rules are the core's; these are the
 * boundary's cases). */
static void redact_cases(void) {
    char *json = SENTINEL;
    EXPECT(helix_redact(NULL, NULL, &json), HELIX_NULL_POINTER, "redact: NULL text");
    EXPECT(helix_redact("x", NULL, NULL), HELIX_NULL_POINTER, "redact: NULL out");
    EXPECT(helix_redact(BAD_UTF8, NULL, &json), HELIX_INVALID_UTF8, "redact: text not UTF-8");
    EXPECT(helix_redact("x", "{not json", &json), HELIX_INVALID_INPUT,
           "redact: options malformed");
    EXPECT(helix_redact("x", "{\"lead_phone\":\"9876543210\"}", &json), HELIX_INVALID_INPUT,
           "redact: unknown option");
    EXPECT_TRUE(strstr(helix_last_error(), "lead_phone") != NULL, "redact: names the option");
    EXPECT(helix_redact("x", "{\"leadPhone\":9876543210}", &json), HELIX_INVALID_INPUT,
           "redact: leadPhone not a string");
    EXPECT_TRUE(strstr(helix_last_error(), "9876543210") == NULL,
                "redact: the refusal does not repeat the number");
    EXPECT(helix_redact("x", "{\"keywords\":[\"\"]}", &json), HELIX_INVALID_INPUT,
           "redact: empty keyword");
    EXPECT(helix_redact("x", BAD_UTF8, &json), HELIX_INVALID_UTF8, "redact: options not UTF-8");
    EXPECT_TRUE(json == SENTINEL, "redact: out untouched on failure");
    EXPECT(helix_redact("", NULL, &json), HELIX_OK, "redact: empty text");
    EXPECT_TRUE(json != SENTINEL && strcmp(json, "{\"text\":\"\",\"kinds\":[]}") == 0,
                "redact: empty text, nothing redacted");
    helix_string_free(json);
}

int main(void) {
    if (getenv("OZONETEL_BASE_URL") == NULL || getenv("DEEPGRAM_URL") == NULL) {
        fprintf(stderr, "set OZONETEL_BASE_URL and DEEPGRAM_URL (the simulator's URLs)\n");
        return 2;
    }
    EXPECT_TRUE(strcmp(helix_status_name(HELIX_PANIC), "panic") == 0, "status name");
    EXPECT_TRUE(strcmp(helix_status_name(1234), "unknown") == 0, "unknown status name");
    helix_string_free(NULL);
    ozonetel_cases();
    desk_cases();
    assist_cases();
    slow_consumer_case();
    redact_cases();
    printf("%d passed, %d failed\n", checks - failed, failed);
    return failed == 0 ? 0 : 1;
}
