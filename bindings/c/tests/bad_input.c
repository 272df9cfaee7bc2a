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

/* Every failure's message is at most this many bytes: the core quotes what it refuses in at
 * most 40 characters and serde errors are cut at 200, so a 10 MB argument never becomes a
 * 10 MB message. Longer means something was echoed whole. */
#define MESSAGE_BOUND 1024

/* Secrets this suite configures (the simulator's keys and passwords, and canaries passed as
 * keys, passwords and tokens): none may appear in any message, success or failure. */
static const char *const SECRETS[] = {
    "sim-api-key", "sim-deepgram-key", "sim-openai-key", "sim-agent1-pass",
    "sim-agent2-pass", "CANARY",
};

/* Cases are counted per function group (set by GROUP before a group's cases); main prints
 * the counts and asserts a lower bound for each. */
enum { MAX_GROUPS = 16 };
static const char *group_names[MAX_GROUPS];
static int group_counts[MAX_GROUPS];
static int group_count = 0, current_group = -1;

static void group(const char *name) {
    for (int i = 0; i < group_count; i++) {
        if (strcmp(group_names[i], name) == 0) {
            current_group = i;
            return;
        }
    }
    if (group_count < MAX_GROUPS) {
        group_names[group_count] = name;
        current_group = group_count++;
    }
}
#define GROUP(name) group(name)

static void count_case(void) {
    checks++;
    if (current_group >= 0) {
        group_counts[current_group]++;
    }
}

/* The message's bound and secrets, checked for every call EXPECT makes. */
static int message_is_clean(int line, const char *what, const char *message) {
    size_t len = strlen(message);
    if (len > MESSAGE_BOUND) {
        fprintf(stderr, "FAIL line %d: %s: a %zu-byte message (bound %d): %.200s…\n", line,
                what, len, MESSAGE_BOUND, message);
        return 0;
    }
    for (size_t i = 0; i < sizeof SECRETS / sizeof SECRETS[0]; i++) {
        if (strstr(message, SECRETS[i]) != NULL) {
            fprintf(stderr, "FAIL line %d: %s: the message carries a secret: %s\n", line, what,
                    message);
            return 0;
        }
    }
    return 1;
}

static void expect_at(int line, helix_status got, helix_status want, const char *what) {
    count_case();
    const char *message = helix_last_error();
    if (got != want) {
        fprintf(stderr, "FAIL line %d: %s: got %s, want %s (%.300s)\n", line, what,
                helix_status_name(got), helix_status_name(want), message);
        failed++;
    } else if (want != HELIX_OK && message[0] == '\0') {
        fprintf(stderr, "FAIL line %d: %s: %s without a message\n", line, what,
                helix_status_name(got));
        failed++;
    } else if (want == HELIX_OK && message[0] != '\0') {
        fprintf(stderr, "FAIL line %d: %s: success left a message: %s\n", line, what, message);
        failed++;
    } else if (!message_is_clean(line, what, message)) {
        failed++;
    } else {
        printf("ok   %-58s %s%s%.300s\n", what, helix_status_name(got), message[0] ? ": " : "",
               message);
    }
}
#define EXPECT(call, want, what) expect_at(__LINE__, (call), (want), (what))

static void expect_true_at(int line, int cond, const char *what) {
    count_case();
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

    GROUP("client");
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

    GROUP("agent");
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

    GROUP("reports");
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

    GROUP("agent");
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
    GROUP("desk");
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

    GROUP("events");
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

    GROUP("reports");
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

    GROUP("desk");
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

    GROUP("assist_config");
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
    EXPECT_START_REFUSES(bad.coalesce_ms = 10, HELIX_INVALID_INPUT,
                         "assist_start: coalesce_ms 10 (0 or 20..=250)");
    EXPECT_START_REFUSES(bad.coalesce_ms = 0xffffffffu, HELIX_INVALID_INPUT,
                         "assist_start: coalesce_ms 0xffffffff");
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
    GROUP("assist_session");
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
    GROUP("assist_session");
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
    GROUP("redact");
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

/* ---- The hostile table: every entry point, every argument, the same hostile values ----
 *
 * Each string argument is tried with the six values of HOSTILE (NULL, bytes that are not
 * UTF-8, "", a 10 MB string, embedded control characters, a right-to-left override); each
 * JSON argument with the values of the JSON table (malformed, wrong types, not an object,
 * a number beyond every range, 100 000 levels of nesting, a duplicate key, an unknown field,
 * a lone surrogate, a 10 MB string value); integers and enums with 0, one past the last
 * value and UINT32_MAX; buffers with a zero and a 10 MB length behind a valid pointer. The
 * expected status is the one the header documents for that argument. */

enum { H_NULL, H_BAD_UTF8, H_EMPTY, H_HUGE, H_CONTROL, H_RTL, N_HOSTILE };
static const char *const HOSTILE_NAMES[N_HOSTILE] = {
    "NULL", "not UTF-8", "empty", "10 MB", "control characters", "RTL override",
};
static const char *HOSTILE[N_HOSTILE];
/* The same six as secrets: a 10 MB key made of canaries, a canary with a header injection… */
static const char *HOSTILE_SECRET[N_HOSTILE];
/* 10 MB by default. BAD_INPUT_HUGE_BYTES (at least 1 MiB, above every bound the library has:
 * keys 1 KiB, URLs 2 KiB, webhook bodies 64 KiB) makes it smaller for the run under valgrind,
 * which spends minutes on 10 MB arguments and finds nothing more in them than in 1 MiB; the
 * native run keeps the full size. */
static size_t HUGE_LEN = 10 * 1024 * 1024;
static char *huge_digits, *huge_secret;
static uint8_t *huge_bytes;

/* A status per hostile value, in HOSTILE's order. */
#define WANT(null, utf8, empty, huge, control, rtl)                                          \
    ((const helix_status[N_HOSTILE]){HELIX_##null, HELIX_##utf8, HELIX_##empty, HELIX_##huge, \
                                     HELIX_##control, HELIX_##rtl})
/* An identifier or number the core parses (digits, a phone number, a date): NULL is a NULL
 * pointer, everything else hostile is invalid input. */
/* An optional string: NULL takes the default, everything else hostile is refused. */
#define WANT_OPTIONAL WANT(OK, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT, \
                           INVALID_INPUT)
#define WANT_PARSED WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT, \
                         INVALID_INPUT)

/* Runs `call` once per hostile value, bound to `var` (a `const char *`), expecting `want`. On
 * an unexpected success, `on_ok` releases what the call made. */
#define EACH_HOSTILE_OF(values, var, want, label, call, on_ok)                               \
    do {                                                                                     \
        for (int h_ = 0; h_ < N_HOSTILE; h_++) {                                             \
            const char *var = (values)[h_];                                                  \
            char what_[160];                                                                 \
            snprintf(what_, sizeof what_, "%s: %s", (label), HOSTILE_NAMES[h_]);             \
            helix_status got_ = (call);                                                      \
            EXPECT(got_, (want)[h_], what_);                                                 \
            if (got_ == HELIX_OK) {                                                          \
                on_ok;                                                                       \
            }                                                                                \
        }                                                                                    \
    } while (0)
#define EACH_HOSTILE(var, want, label, call) EACH_HOSTILE_OF(HOSTILE, var, want, label, call, )
#define EACH_HOSTILE_SECRET(var, want, label, call) \
    EACH_HOSTILE_OF(HOSTILE_SECRET, var, want, label, call, )

/* Hostile JSON. `%s` in a template is the field the target knows (so a wrong type, a huge
 * number and a duplicate hit a real field); deep and huge are built in main. */
enum {
    J_MALFORMED, J_TRAILING, J_WRONG_TYPE, J_NOT_OBJECT, J_HUGE_NUMBER, J_NEG_NUMBER,
    J_DEEP, J_DUPLICATE, J_EXTRA, J_SURROGATE, J_HUGE_STRING, N_JSON
};
static const char *const JSON_NAMES[N_JSON] = {
    "malformed JSON", "trailing garbage", "a field of the wrong type", "not an object",
    "a number beyond every range", "a negative number", "100 000 levels of nesting",
    "a duplicate key", "an unknown field", "a lone surrogate", "a 10 MB string value",
};
static char *deep_json;

/* The hostile JSON for a target whose string field is `text_field` and whose numeric field
 * (or another field, when it has none) is `number_field`. Caller frees [J_HUGE_STRING] and
 * the formatted ones through free_json_table. */
struct json_table {
    char *json[N_JSON];
};

static char *format(const char *fmt, const char *a, const char *b) {
    size_t n = strlen(fmt) + strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    snprintf(s, n, fmt, a, b);
    return s;
}

static struct json_table json_table(const char *text_field, const char *number_field) {
    struct json_table t;
    t.json[J_MALFORMED] = format("{\"%s\":%s", text_field, "");
    t.json[J_TRAILING] = format("{\"%s\":\"a\"} %s", text_field, "{}");
    t.json[J_WRONG_TYPE] = format("{\"%s\":{\"%s\":1}}", text_field, number_field);
    t.json[J_NOT_OBJECT] = format("[\"%s\",\"%s\"]", text_field, number_field);
    t.json[J_HUGE_NUMBER] = format("{\"%s\":1%s}", number_field,
                                   "00000000000000000000000000000000000000000");
    t.json[J_NEG_NUMBER] = format("{\"%s\":-1%s}", number_field, "");
    t.json[J_DEEP] = deep_json;
    t.json[J_DUPLICATE] = format("{\"%s\":\"a\",\"%s\":\"b\"}", text_field, text_field);
    t.json[J_EXTRA] = format("{\"%s\":\"a\",\"%s\":1}", text_field, "__proto__");
    t.json[J_SURROGATE] = format("{\"%s\":\"\\ud800%s\"}", text_field, "");
    size_t n = strlen(text_field) + HUGE_LEN + 16;
    t.json[J_HUGE_STRING] = malloc(n);
    int head = snprintf(t.json[J_HUGE_STRING], n, "{\"%s\":\"", text_field);
    memset(t.json[J_HUGE_STRING] + head, 'a', HUGE_LEN);
    strcpy(t.json[J_HUGE_STRING] + head + HUGE_LEN, "\"}");
    return t;
}

static void free_json_table(struct json_table *t) {
    for (int i = 0; i < N_JSON; i++) {
        if (i != J_DEEP) {
            free(t->json[i]);
        }
    }
}

/* Runs `call` once per hostile JSON of `table`, bound to `var`, expecting `want[i]`. */
#define EACH_JSON(table, var, want, label, call, on_ok)                                      \
    do {                                                                                     \
        for (int j_ = 0; j_ < N_JSON; j_++) {                                                \
            const char *var = (table).json[j_];                                              \
            char what_[160];                                                                 \
            snprintf(what_, sizeof what_, "%s: %s", (label), JSON_NAMES[j_]);                \
            helix_status got_ = (call);                                                      \
            EXPECT(got_, (want)[j_], what_);                                                 \
            if (got_ == HELIX_OK) {                                                          \
                on_ok;                                                                       \
            }                                                                                \
        }                                                                                    \
    } while (0)
static const helix_status ALL_INVALID_JSON[N_JSON] = {
    HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
    HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
    HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
};

/* Lead and redaction options: string values are not bounded (a 10 MB name is kept), the rest
 * fails. */
static const helix_status LEAD_JSON_WANT[N_JSON] = {
    HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
    HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
    HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_OK,
};

static const uint32_t HOSTILE_U32[] = {0x80000000u, 0xfffffffeu, 0xffffffffu};

static void hostile_setup(void) {
    const char *huge_env = getenv("BAD_INPUT_HUGE_BYTES");
    if (huge_env != NULL) {
        char *end = NULL;
        unsigned long long n = strtoull(huge_env, &end, 10);
        if (end == huge_env || *end != '\0' || n < 1024 * 1024 || n > 64ull * 1024 * 1024) {
            fprintf(stderr, "BAD_INPUT_HUGE_BYTES must be 1048576..67108864\n");
            exit(2);
        }
        HUGE_LEN = (size_t)n;
    }
    huge_digits = malloc(HUGE_LEN + 1);
    memset(huge_digits, '9', HUGE_LEN);
    huge_digits[HUGE_LEN] = '\0';
    huge_secret = malloc(HUGE_LEN + 1);
    for (size_t i = 0; i < HUGE_LEN; i++) {
        huge_secret[i] = "CANARY"[i % 6];
    }
    huge_secret[HUGE_LEN] = '\0';
    huge_bytes = calloc(HUGE_LEN, 1);
    HOSTILE[H_NULL] = NULL;
    HOSTILE[H_BAD_UTF8] = BAD_UTF8;
    HOSTILE[H_EMPTY] = "";
    HOSTILE[H_HUGE] = huge_digits;
    HOSTILE[H_CONTROL] = "98765\x01\x1b[2J\r\n12345";
    HOSTILE[H_RTL] = "\xe2\x80\xae" "9876512345";
    HOSTILE_SECRET[H_NULL] = NULL;
    HOSTILE_SECRET[H_BAD_UTF8] = "CANARY\xff\xfe";
    HOSTILE_SECRET[H_EMPTY] = "";
    HOSTILE_SECRET[H_HUGE] = huge_secret;
    HOSTILE_SECRET[H_CONTROL] = "CANARY\r\nX-Injected: 1";
    HOSTILE_SECRET[H_RTL] = "\xe2\x80\xae" "CANARY";
    size_t depth = 100000;
    deep_json = malloc(2 * depth + 1);
    memset(deep_json, '[', depth);
    memset(deep_json + depth, ']', depth);
    deep_json[2 * depth] = '\0';
}

static void hostile_teardown(void) {
    free(huge_digits);
    free(huge_secret);
    free(huge_bytes);
    free(deep_json);
}

static helix_ozonetel_config sim_config(void) {
    helix_ozonetel_config config = {0};
    config.user_name = "acme";
    config.api_key = "sim-api-key";
    config.base_url = getenv("OZONETEL_BASE_URL");
    config.events_base_url = getenv("OZONETEL_BASE_URL");
    return config;
}

static void hostile_client(void) {
    GROUP("client");
    helix_ozonetel_config config = sim_config();
    helix_ozonetel *client = SENTINEL;
    helix_ozonetel_config bad;
#define NEW_WITH(field, value) \
    (bad = config, bad.field = (value), helix_ozonetel_new(&bad, &client))
    EACH_HOSTILE_OF(HOSTILE, v, WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT,
                                     INVALID_INPUT, INVALID_INPUT),
                    "new: user_name", NEW_WITH(user_name, v), helix_ozonetel_free(client));
    EACH_HOSTILE_OF(HOSTILE_SECRET, v, WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT,
                                            INVALID_INPUT, INVALID_INPUT, INVALID_INPUT),
                    "new: api_key", NEW_WITH(api_key, v), helix_ozonetel_free(client));
    /* NULL base URLs take the defaults. */
    EACH_HOSTILE_OF(HOSTILE, v, WANT_OPTIONAL,
                    "new: base_url", NEW_WITH(base_url, v), helix_ozonetel_free(client));
    EACH_HOSTILE_OF(HOSTILE, v, WANT_OPTIONAL,
                    "new: events_base_url", NEW_WITH(events_base_url, v),
                    helix_ozonetel_free(client));
    /* A NULL redis_url is the in-process store, which this process's acme already uses. */
    EACH_HOSTILE_OF(HOSTILE, v, WANT_OPTIONAL,
                    "new: redis_url", NEW_WITH(redis_url, v), helix_ozonetel_free(client));
    /* Credentials in a URL are never repeated in the refusal. */
    EXPECT(NEW_WITH(base_url, "ftp://user:CANARY@host/"), HELIX_INVALID_INPUT,
           "new: base_url with a password in it");
    EXPECT(NEW_WITH(redis_url, "redis://:CANARY@127.0.0.1:1/x/y"), HELIX_INVALID_INPUT,
           "new: redis_url with a password in it");
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        EXPECT(NEW_WITH(auth_mode, HOSTILE_U32[i]), HELIX_INVALID_INPUT, "new: auth_mode huge");
        EXPECT(NEW_WITH(region, HOSTILE_U32[i]), HELIX_INVALID_INPUT, "new: region huge");
        EXPECT(NEW_WITH(timeout_ms, HOSTILE_U32[i]), HELIX_INVALID_INPUT, "new: timeout_ms huge");
    }
    EXPECT(NEW_WITH(auth_mode, 2), HELIX_INVALID_INPUT, "new: auth_mode one past the last");
    EXPECT(NEW_WITH(region, 2), HELIX_INVALID_INPUT, "new: region one past the last");
    EXPECT(NEW_WITH(timeout_ms, 600001), HELIX_INVALID_INPUT, "new: timeout_ms 600001");
#undef NEW_WITH
    EXPECT_TRUE(client == SENTINEL || client != NULL, "new: out never set to NULL");
    helix_ozonetel_free(NULL);
}

/* What every hostile group past the client works on: acme's client, agent2 with every
 * field, and agent2 by id only. */
struct desk {
    helix_ozonetel *client;
    helix_agent *agent, *bare;
};

static struct desk desk_open(void) {
    struct desk d = {0};
    helix_ozonetel_config config = sim_config();
    EXPECT(helix_ozonetel_new(&config, &d.client), HELIX_OK, "hostile: client");
    helix_agent_ref who = sim_agent("agent2", "523591", "9123456781");
    EXPECT(helix_ozonetel_agent_new(d.client, &who, &d.agent), HELIX_OK, "hostile: agent2");
    helix_agent_ref id_only = {0};
    id_only.id = "agent2";
    EXPECT(helix_ozonetel_agent_new(d.client, &id_only, &d.bare), HELIX_OK,
           "hostile: agent2 by id");
    return d;
}

static void desk_close(struct desk *d) {
    helix_agent_free(d->bare);
    helix_agent_free(d->agent);
    helix_ozonetel_free(d->client);
}

static void hostile_agent(struct desk *d) {
    GROUP("agent");
    helix_agent_ref who = sim_agent("agent2", "523591", "9123456781"), bad;
    helix_agent *agent = SENTINEL;
#define AGENT_WITH(field, value) \
    (bad = who, bad.field = (value), helix_ozonetel_agent_new(d->client, &bad, &agent))
    /* A NULL id is the missing agent: INVALID_INPUT (there is no default agent). */
    EACH_HOSTILE_OF(HOSTILE, v, WANT(INVALID_INPUT, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT,
                                     INVALID_INPUT, INVALID_INPUT),
                    "agent_new: id", AGENT_WITH(id, v), helix_agent_free(agent));
    /* The other fields are optional: NULL or empty is "not given" (the call that needs one
     * names it); a hostile one is refused here, bidirectional controls included. */
    const helix_status *optional_want =
        WANT(OK, INVALID_UTF8, OK, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT);
    EACH_HOSTILE_OF(HOSTILE, v, optional_want, "agent_new: phone_name",
                    AGENT_WITH(phone_name, v), helix_agent_free(agent));
    EACH_HOSTILE_OF(HOSTILE, v, optional_want, "agent_new: number", AGENT_WITH(number, v),
                    helix_agent_free(agent));
    EACH_HOSTILE_OF(HOSTILE, v, optional_want, "agent_new: campaign", AGENT_WITH(campaign, v),
                    helix_agent_free(agent));
    EACH_HOSTILE_OF(HOSTILE, v, optional_want, "agent_new: did", AGENT_WITH(did, v),
                    helix_agent_free(agent));
#undef AGENT_WITH

    EACH_HOSTILE(v, WANT_PARSED, "call_control: ucid",
                 helix_agent_call_control(d->agent, HELIX_ACTION_HOLD, v, NULL, NULL));
    /* CONFERENCE needs the number: NULL is invalid input, not a NULL pointer. */
    EACH_HOSTILE(v, WANT(INVALID_INPUT, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT, INVALID_INPUT),
                 "call_control: number", helix_agent_call_control(d->agent,
                                                                  HELIX_ACTION_CONFERENCE,
                                                                  "123456789", v, NULL));
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        EXPECT(helix_agent_call_control(d->agent, HOSTILE_U32[i], "123", NULL, NULL),
               HELIX_INVALID_INPUT, "call_control: action huge");
        EXPECT(helix_agent_transfer_start(d->agent, "123", "9000012345", HOSTILE_U32[i], NULL),
               HELIX_INVALID_INPUT, "transfer_start: mode huge (and NULL out)");
    }

    helix_transfer *transfer = SENTINEL;
    EACH_HOSTILE(v, WANT_PARSED, "transfer_start: ucid",
                 helix_agent_transfer_start(d->agent, v, "9000012345", HELIX_TRANSFER_WARM,
                                            &transfer));
    EACH_HOSTILE(v, WANT_PARSED, "transfer_start: target",
                 helix_agent_transfer_start(d->agent, "123", v, HELIX_TRANSFER_COLD, &transfer));
    EXPECT(helix_agent_transfer_start(d->agent, "123", "9000012345", HELIX_TRANSFER_WARM, NULL),
           HELIX_NULL_POINTER, "transfer_start: NULL out");
    EXPECT_TRUE(transfer == SENTINEL, "transfer_start: out untouched by every hostile case");
    EXPECT(helix_transfer_get_state(NULL, NULL), HELIX_NULL_POINTER,
           "transfer_get_state: NULL transfer and out");
    helix_transfer_free(NULL);
}

static void hostile_desk(struct desk *d) {
    GROUP("desk");
    uint32_t outcome = 77;
    /* Passwords: a 10 MB one, a header injection, an RTL override: refused before sending,
     * and never repeated. */
    const helix_status *password_want =
        WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT,
             AUTH);
    EACH_HOSTILE_SECRET(v, password_want, "login: password",
                        helix_agent_login(d->agent, v, &outcome));
    EACH_HOSTILE_SECRET(v, password_want, "logout: password",
                        helix_agent_logout(d->agent, v, &outcome));
    EACH_HOSTILE_SECRET(v, password_want, "force_ready: password",
                        helix_agent_force_ready(d->agent, v, NULL));
    EXPECT_TRUE(outcome == 77, "login/logout: out untouched by every hostile case");
    EXPECT(helix_agent_set_ready(d->bare, NULL), HELIX_AGENT_STATE,
           "set_ready: by id only, logged out (simulator), NULL out");
    /* A pause reason is an identifier the account defines: hostile ones are refused before
     * anything is sent. */
    EACH_HOSTILE(v, WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT, INVALID_INPUT),
                 "pause: reason", helix_agent_pause(d->agent, v, NULL));

    char *ucid = SENTINEL;
    EACH_HOSTILE(v, WANT_PARSED, "dial: number", helix_agent_dial(d->agent, v, NULL, &ucid));
    helix_dial_options dial = {0};
    /* NULL or empty: the agent's own campaign (then the simulator refuses the logged-out
     * agent). */
    EACH_HOSTILE(v, WANT(AGENT_STATE, INVALID_UTF8, AGENT_STATE, INVALID_INPUT,
                         INVALID_INPUT, INVALID_INPUT),
                 "dial: options.campaign",
                 (dial.campaign = v, helix_agent_dial(d->agent, "9876512345", &dial, &ucid)));
    dial.campaign = NULL;
    EACH_HOSTILE(v, WANT(AGENT_STATE, INVALID_UTF8, AGENT_STATE, INVALID_INPUT,
                         INVALID_INPUT, AGENT_STATE),
                 "dial: options.uui",
                 (dial.uui = v, helix_agent_dial(d->agent, "9876512345", &dial, &ucid)));
    EACH_HOSTILE(v, WANT_PARSED, "phone_dial: number",
                 helix_agent_phone_dial(d->agent, v, NULL, &ucid));
    helix_phone_dial_options phone = {0};
    /* NULL or empty: the agent's campaign, and the phone dial goes out (it needs no login). */
    EACH_HOSTILE_OF(HOSTILE, v, WANT(OK, INVALID_UTF8, OK, INVALID_INPUT, INVALID_INPUT,
                                     INVALID_INPUT),
                    "phone_dial: options.campaign",
                    (phone.campaign = v,
                     helix_agent_phone_dial(d->agent, "9876512345", &phone, &ucid)),
                    (helix_string_free(ucid), ucid = SENTINEL));
    phone.campaign = NULL;
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        phone.call_limit_secs = HOSTILE_U32[i];
        EXPECT(helix_agent_phone_dial(d->agent, "9876512345", &phone, &ucid),
               HELIX_INVALID_INPUT, "phone_dial: call_limit_secs huge");
        phone.call_limit_secs = 0;
        phone.check_status = HOSTILE_U32[i];
        EXPECT(helix_agent_phone_dial(d->agent, "9876512345", &phone, &ucid),
               HELIX_INVALID_INPUT, "phone_dial: check_status huge");
        phone.check_status = 0;
    }
    phone.call_limit_secs = 86401;
    EXPECT(helix_agent_phone_dial(d->agent, "9876512345", &phone, &ucid), HELIX_INVALID_INPUT,
           "phone_dial: call_limit_secs 86401");
    EXPECT_TRUE(ucid == SENTINEL, "dials: out untouched by every hostile case");

    helix_disposition disposition = {0};
    disposition.code = "General Enquiry";
    helix_disposition bad;
    uint32_t disposed = 77;
    EACH_HOSTILE(v, WANT_PARSED, "dispose: ucid",
                 helix_agent_dispose(d->agent, v, &disposition, &disposed));
#define DISPOSE_WITH(field, value) \
    (bad = disposition, bad.field = (value),                                                  \
     helix_agent_dispose(d->agent, "123456789", &bad, &disposed))
    EACH_HOSTILE(v, WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT, INVALID_INPUT),
                 "dispose: code", DISPOSE_WITH(code, v));
    EACH_HOSTILE(v, WANT(API, INVALID_UTF8, API, INVALID_INPUT, INVALID_INPUT, API),
                 "dispose: comments", DISPOSE_WITH(comments, v));
    EACH_HOSTILE(v, WANT(API, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT),
                 "dispose: pause_reason", DISPOSE_WITH(pause_reason, v));
    EACH_HOSTILE(v, WANT(API, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT),
                 "dispose: callback_at", DISPOSE_WITH(callback_at, v));
    EXPECT(DISPOSE_WITH(callback_at, "2025-02-30 10:00:00"), HELIX_INVALID_INPUT,
           "dispose: callback_at on 30 February");
    EXPECT(DISPOSE_WITH(callback_at, "99999-01-01 10:00:00"), HELIX_INVALID_INPUT,
           "dispose: callback_at in year 99999");
#undef DISPOSE_WITH
    EXPECT_TRUE(disposed == 77, "dispose: out untouched by every hostile case");
    EXPECT(helix_ozonetel_dispositions(NULL, NULL), HELIX_NULL_POINTER,
           "dispositions: NULL client and out");
}

static int stop_paging(void *user_data, const char *page_json) {
    (void)page_json;
    ++*(int *)user_data;
    return 1;
}

static void hostile_reports(struct desk *d) {
    GROUP("reports");
    char *json = SENTINEL;
    EACH_HOSTILE(v, WANT_PARSED, "pause_recording: ucid",
                 helix_ozonetel_pause_recording(d->client, v, &json));
    EACH_HOSTILE(v, WANT_PARSED, "resume_recording: ucid",
                 helix_ozonetel_resume_recording(d->client, v, &json));
    helix_abandoned_calls_query missed = {0};
    EACH_HOSTILE(v, WANT(OK, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT),
                 "abandoned_calls: from_time",
                 (missed.from_time = v, helix_ozonetel_abandoned_calls(d->client, &missed, &json)));
    if (json != SENTINEL) {
        helix_string_free(json);
        json = SENTINEL;
    }
    missed.from_time = NULL;
    EACH_HOSTILE(v, WANT(OK, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT),
                 "abandoned_calls: to_time",
                 (missed.to_time = v, helix_ozonetel_abandoned_calls(d->client, &missed, &json)));
    if (json != SENTINEL) {
        helix_string_free(json);
        json = SENTINEL;
    }
    missed.to_time = NULL;
    /* Empty is every campaign; a 10 MB one used to reach the server (HTTP 413, HELIX_API). */
    EACH_HOSTILE_OF(HOSTILE, v, WANT(OK, INVALID_UTF8, OK, INVALID_INPUT, INVALID_INPUT,
                                     INVALID_INPUT),
                    "abandoned_calls: campaign_name",
                    (missed.campaign_name = v,
                     helix_ozonetel_abandoned_calls(d->client, &missed, &json)),
                    (helix_string_free(json), json = SENTINEL));

    /* The window is 2020 (beyond 15 days), so nothing is ever sent or paced: a filter that
     * passes its own checks meets the window's. */
    helix_call_records_query q = {0}, bad;
    q.from = "2020-01-01 00:00:00";
    q.to = "2020-01-01 23:59:59";
#define RECORDS_WITH(field, value) \
    (bad = q, bad.field = (value), helix_ozonetel_call_records(d->client, &bad, NULL, NULL, &json))
    EACH_HOSTILE(v, WANT_PARSED, "call_records: from", RECORDS_WITH(from, v));
    EACH_HOSTILE(v, WANT_PARSED, "call_records: to", RECORDS_WITH(to, v));
    const helix_status *filter_want = WANT(INVALID_INPUT, INVALID_UTF8, INVALID_INPUT,
                                           INVALID_INPUT, INVALID_INPUT, INVALID_INPUT);
    EACH_HOSTILE(v, filter_want, "call_records: ucid", RECORDS_WITH(ucid, v));
    EACH_HOSTILE(v, filter_want, "call_records: campaign_name", RECORDS_WITH(campaign_name, v));
    EACH_HOSTILE(v, filter_want, "call_records: monitor_ucid", RECORDS_WITH(monitor_ucid, v));
    EACH_HOSTILE(v, filter_want, "call_records: call_type", RECORDS_WITH(call_type, v));
    EACH_HOSTILE(v, filter_want, "call_records: status", RECORDS_WITH(status, v));
#undef RECORDS_WITH
    EXPECT(helix_ozonetel_call_records(d->client, &q, NULL, NULL, NULL), HELIX_NULL_POINTER,
           "call_records: NULL out");
    /* A window of the last ten minutes (the account's time, IST, from the clock) with a 10 MB
     * filter: refused before anything is sent. It used to go out; the simulator answered 413
     * while the library was still writing, and that write's SIGPIPE killed this process. */
    char recent_from[32], recent_to[32];
    time_t ist = time(NULL) + 5 * 3600 + 30 * 60;
    struct tm tm;
    time_t from_t = ist - 600;
    gmtime_r(&from_t, &tm);
    strftime(recent_from, sizeof recent_from, "%Y-%m-%d %H:%M:%S", &tm);
    gmtime_r(&ist, &tm);
    strftime(recent_to, sizeof recent_to, "%Y-%m-%d %H:%M:%S", &tm);
    helix_call_records_query recent = {0};
    recent.from = recent_from;
    recent.to = recent_to;
    const char *filters[] = {"campaign_name", "call_type", "status"};
    for (int i = 0; i < 3; i++) {
        bad = recent;
        *(i == 0 ? &bad.campaign_name : i == 1 ? &bad.call_type : &bad.status) = huge_digits;
        char what[96];
        snprintf(what, sizeof what, "call_records: a 10 MB %s in a recent window", filters[i]);
        EXPECT(helix_ozonetel_call_records(d->client, &bad, NULL, NULL, &json),
               HELIX_INVALID_INPUT, what);
        bad.campaign_name = bad.call_type = bad.status = NULL;
        bad.ucid = i == 0 ? huge_digits : NULL;
        bad.monitor_ucid = i == 1 ? huge_digits : NULL;
        if (i < 2) {
            EXPECT(helix_ozonetel_call_records(d->client, &bad, NULL, NULL, &json),
                   HELIX_INVALID_INPUT, i == 0 ? "call_records: a 10 MB ucid, recent window"
                                               : "call_records: a 10 MB monitor_ucid, recent");
        }
    }
    EACH_HOSTILE(v, WANT_PARSED, "call_record: ucid",
                 helix_ozonetel_call_record(d->client, v, "2020-01-01", &json));
    EACH_HOSTILE(v, WANT_PARSED, "call_record: date",
                 helix_ozonetel_call_record(d->client, "123", v, &json));
    EXPECT(helix_ozonetel_call_record(d->client, "123", "2020-01-01", NULL), HELIX_NULL_POINTER,
           "call_record: NULL out");
    int pages_seen = 0;
    uint32_t pages = 77;
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        EXPECT(helix_ozonetel_call_record_pages(d->client, &q, HOSTILE_U32[i], stop_paging,
                                                &pages_seen, &pages),
               HELIX_INVALID_INPUT, "call_record_pages: page_size huge");
    }
    bad = q;
    bad.from = huge_digits;
    EXPECT(helix_ozonetel_call_record_pages(d->client, &bad, 100, stop_paging, &pages_seen,
                                            &pages),
           HELIX_INVALID_INPUT, "call_record_pages: 10 MB from");
    EXPECT_TRUE(pages == 77 && pages_seen == 0,
                "call_record_pages: no page and out untouched by every hostile case");
    EXPECT_TRUE(json == SENTINEL, "reports: out untouched by every hostile case");
}

static void hostile_events(struct desk *d) {
    GROUP("events");
    helix_ozonetel_event *event = SENTINEL;
    const char body[] = "{\"eventType\":\"Call\",\"action\":\"Answered\",\"ucid\":\"123\"}";
#define PARSE(type, bytes, len) \
    helix_ozonetel_event_parse((type), (const uint8_t *)(bytes), (len), &event)
    /* A content type other than JSON or a form is read by the body's first character (the
     * core's documented leniency: proxies rewrite it), so only NULL and bad UTF-8 fail. */
    EACH_HOSTILE_OF(HOSTILE, v, WANT(NULL_POINTER, INVALID_UTF8, OK, OK, OK, OK),
                    "event_parse: content_type", PARSE(v, body, strlen(body)),
                    (helix_ozonetel_event_free(event), event = SENTINEL));
    /* Zero and huge lengths behind a valid pointer. */
    EXPECT(PARSE("application/json", body, 0), HELIX_INVALID_INPUT,
           "event_parse: zero length, valid pointer");
    EXPECT(PARSE("application/json", huge_bytes, HUGE_LEN), HELIX_INVALID_INPUT,
           "event_parse: 10 MB of zero bytes");
    EXPECT(PARSE("application/json", huge_digits, HUGE_LEN), HELIX_INVALID_INPUT,
           "event_parse: a 10 MB number");
    EXPECT(PARSE("application/json", body, sizeof body), HELIX_INVALID_INPUT,
           "event_parse: the body's NUL counted in len");
    /* A UCID sent as text is kept exact whatever its size; as a JSON number it must be an
     * integer up to UINT64_MAX, since beyond that the number has already lost digits (an event
     * with a ucid and no eventType is a call event): the negative number parses, the 42-digit
     * one is refused, and so is the rest. */
    static const helix_status event_json_want[N_JSON] = {
        HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
        HELIX_INVALID_INPUT, HELIX_OK,            HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
        HELIX_INVALID_INPUT, HELIX_INVALID_INPUT, HELIX_INVALID_INPUT,
    };
    struct json_table t = json_table("eventType", "ucid");
    EACH_JSON(t, v, event_json_want, "event_parse: JSON body",
              PARSE("application/json", v, strlen(v)),
              (helix_ozonetel_event_free(event), event = SENTINEL));
    free_json_table(&t);
    EXPECT(PARSE("application/json", "{\"action\":\"Answered\"}", 21), HELIX_INVALID_INPUT,
           "event_parse: missing eventType");
    EXPECT(PARSE("application/json", "{\"eventType\":\"Call\",\"eventType\":\"Agent\"}", 41),
           HELIX_INVALID_INPUT, "event_parse: eventType twice");
    /* Form bodies: bad percent escapes decode leniently (as browsers do); a key twice is
     * refused (which eventType is meant?). */
    const struct {
        const char *body;
        helix_status want;
        const char *what;
    } forms[] = {
        {"eventType=Call&ucid=1&action=%zz", HELIX_OK, "event_parse: form, a bad escape"},
        {"eventType=Call&ucid=%FF%FE", HELIX_OK, "event_parse: form, escapes not UTF-8"},
        {"=&=&&&", HELIX_INVALID_INPUT, "event_parse: form, empty keys"},
        {"eventType=Call&eventType=Agent&agent_id=a", HELIX_INVALID_INPUT,
         "event_parse: form, eventType twice"},
        {"eventType=Agent&agent_id=a&agent_id=b", HELIX_INVALID_INPUT,
         "event_parse: form, agent_id twice"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        helix_status got = PARSE("application/x-www-form-urlencoded", forms[i].body,
                                 strlen(forms[i].body));
        EXPECT(got, forms[i].want, forms[i].what);
        if (got == HELIX_OK) {
            helix_ozonetel_event_free(event);
            event = SENTINEL;
        }
    }
    const char twice[] = "{\"eventType\":\"Agent\",\"agent_id\":\"a\",\"agent_id\":\"b\"}";
    EXPECT(PARSE("application/json", twice, strlen(twice)), HELIX_INVALID_INPUT,
           "event_parse: JSON, agent_id twice");
#undef PARSE
    EXPECT_TRUE(event == SENTINEL, "event_parse: out untouched by every hostile case");
    helix_ozonetel_event_free(NULL);

    char *json = SENTINEL;
    const helix_status *url_want = WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT,
                                        INVALID_INPUT, INVALID_INPUT, INVALID_INPUT);
    EACH_HOSTILE(v, url_want, "subscribe_events: call_url",
                 helix_ozonetel_subscribe_events(d->client, v, "https://desk.example/agent",
                                                 &json));
    EACH_HOSTILE(v, url_want, "subscribe_events: agent_url",
                 helix_ozonetel_subscribe_events(d->client, "https://desk.example/call", v,
                                                 &json));
    EXPECT(helix_ozonetel_subscribe_events(d->client, "javascript:alert(1)",
                                           "https://desk.example/agent", &json),
           HELIX_INVALID_INPUT, "subscribe_events: a javascript: URL");
    EXPECT(helix_ozonetel_subscribe_events(d->client, "https://user:CANARY@desk.example/call",
                                           "ftp://desk.example/agent", &json),
           HELIX_INVALID_INPUT, "subscribe_events: credentials in a URL are not repeated");
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        EXPECT(helix_ozonetel_unsubscribe_events(d->client, HOSTILE_U32[i], &json),
               HELIX_INVALID_INPUT, "unsubscribe_events: kind huge");
    }
    EXPECT(helix_ozonetel_event_subscriptions(NULL, &json), HELIX_NULL_POINTER,
           "event_subscriptions: NULL client");
    EXPECT_TRUE(json == SENTINEL, "subscriptions: out untouched by every hostile case");
}

static helix_assist_config sim_assist_config(void) {
    helix_assist_config config = {0};
    config.deepgram_api_key = "sim-deepgram-key";
    config.deepgram_url = getenv("DEEPGRAM_URL");
    return config;
}

static void hostile_assist_config(void) {
    GROUP("assist_config");
    helix_assist_config config = sim_assist_config(), bad;
    helix_assist *assist = SENTINEL;
    const char *openai = getenv("OPENAI_BASE_URL");
#define START_WITH(field, value) \
    (bad = config, bad.field = (value), helix_assist_start(&bad, NULL, NULL, &assist))
#define START_LLM_WITH(field, value)                                                         \
    (bad = config, bad.openai_api_key = "sim-openai-key", bad.openai_base_url = openai,      \
     bad.field = (value), helix_assist_start(&bad, NULL, NULL, &assist))
    /* One config field through every hostile value. */
#define START_HOSTILE(field, want, start)                                                    \
    EACH_HOSTILE_OF(HOSTILE, v, want, "assist_start: " #field, start(field, v),              \
                    helix_assist_free(assist))
    EACH_HOSTILE_OF(HOSTILE_SECRET, v, WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT,
                                            INVALID_INPUT, INVALID_INPUT, INVALID_INPUT),
                    "assist_start: deepgram_api_key", START_WITH(deepgram_api_key, v),
                    helix_assist_free(assist));
    START_HOSTILE(deepgram_url, WANT_OPTIONAL, START_WITH);
    START_HOSTILE(deepgram_model, WANT_OPTIONAL, START_WITH);
    START_HOSTILE(language, WANT_OPTIONAL, START_WITH);
    START_HOSTILE(deepgram_preset, WANT_OPTIONAL, START_WITH);
    START_HOSTILE(deepgram_redact, WANT(OK, INVALID_UTF8, OK, INVALID_INPUT, INVALID_INPUT,
                                     INVALID_INPUT), START_WITH);
    /* Keywords are matched locally, never sent or shown: whitespace and control characters
     * only split words; the bounds are the count and the length. */
    START_HOSTILE(redaction_keywords, WANT(OK, INVALID_UTF8, OK, INVALID_INPUT, OK, OK),
                  START_WITH);
    /* NULL turns suggestions off; a hostile key is refused before anything is sent. */
    EACH_HOSTILE_OF(HOSTILE_SECRET, v, WANT_OPTIONAL,
                    "assist_start: openai_api_key",
                    (bad = config, bad.openai_base_url = openai, bad.openai_api_key = v,
                     helix_assist_start(&bad, NULL, NULL, &assist)),
                    helix_assist_free(assist));
    START_HOSTILE(openai_base_url, WANT_OPTIONAL, START_LLM_WITH);
    START_HOSTILE(openai_model, WANT_OPTIONAL, START_LLM_WITH);
    START_HOSTILE(lead_json, WANT_OPTIONAL, START_WITH);
    START_HOSTILE(post_call_json, WANT_OPTIONAL, START_LLM_WITH);
    struct json_table lead = json_table("name", "history");
    EACH_JSON(lead, v, LEAD_JSON_WANT, "assist_start: lead_json", START_WITH(lead_json, v),
              helix_assist_free(assist));
    free_json_table(&lead);
    struct json_table post = json_table("systemPrompt", "timeoutMs");
    EACH_JSON(post, v, ALL_INVALID_JSON, "assist_start: post_call_json",
              START_LLM_WITH(post_call_json, v), helix_assist_free(assist));
    free_json_table(&post);
    EXPECT(START_LLM_WITH(post_call_json, "{\"maxTranscriptChars\":1000001}"), HELIX_INVALID_INPUT,
           "assist_start: post_call_json maxTranscriptChars beyond 1 000 000");
    EXPECT(START_LLM_WITH(post_call_json, "{\"timeoutMs\":120001}"), HELIX_INVALID_INPUT,
           "assist_start: post_call_json timeoutMs beyond 120 000");
    EXPECT(START_LLM_WITH(post_call_json, "{\"timeoutMs\":1.5}"), HELIX_INVALID_INPUT,
           "assist_start: post_call_json timeoutMs not an integer");
    EXPECT(START_LLM_WITH(post_call_json, "{\"dispositions\":[\"\"]}"), HELIX_INVALID_INPUT,
           "assist_start: post_call_json an empty disposition");
    EXPECT(START_LLM_WITH(post_call_json, "null"), HELIX_INVALID_INPUT,
           "assist_start: post_call_json null");
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        uint32_t n = HOSTILE_U32[i];
        EXPECT(START_WITH(encoding, n), HELIX_INVALID_INPUT, "assist_start: encoding huge");
        EXPECT(START_WITH(sample_rate, n), HELIX_INVALID_INPUT, "assist_start: sample_rate huge");
        EXPECT(START_WITH(channels, n), HELIX_INVALID_INPUT, "assist_start: channels huge");
        EXPECT(START_WITH(channel_layout, n), HELIX_INVALID_INPUT,
               "assist_start: channel_layout huge");
        EXPECT(START_LLM_WITH(suggestion_interval_ms, n), HELIX_INVALID_INPUT,
               "assist_start: suggestion_interval_ms huge");
        EXPECT(START_LLM_WITH(suggestion_min_gap_ms, n), HELIX_INVALID_INPUT,
               "assist_start: suggestion_min_gap_ms huge");
    }
    EXPECT(START_WITH(encoding, 3), HELIX_INVALID_INPUT, "assist_start: encoding one past");
    EXPECT(START_WITH(channel_layout, 2), HELIX_INVALID_INPUT,
           "assist_start: channel_layout one past");
    EXPECT(START_WITH(sample_rate, 7999), HELIX_INVALID_INPUT, "assist_start: sample_rate 7999");
    EXPECT(START_WITH(sample_rate, 48001), HELIX_INVALID_INPUT,
           "assist_start: sample_rate 48001");
    EXPECT(START_LLM_WITH(suggestion_interval_ms, 3600001), HELIX_INVALID_INPUT,
           "assist_start: suggestion_interval_ms 3 600 001");
#undef START_HOSTILE
#undef START_WITH
#undef START_LLM_WITH
}

static void hostile_assist_session(void) {
    GROUP("assist_session");
    helix_assist_config config = sim_assist_config();
    helix_assist *assist = NULL;
    EXPECT(helix_assist_start(&config, NULL, NULL, &assist), HELIX_OK, "hostile: session");
    uint32_t delivery = 77;
    bool queued = false;
    /* Zero and huge lengths behind a valid pointer; an odd length of linear16. */
    EXPECT(helix_assist_send_audio(assist, huge_bytes, 0, &queued), HELIX_INVALID_INPUT,
           "send_audio: zero length, valid pointer");
    EXPECT(helix_assist_send_audio_delivery(assist, huge_bytes, 0, &delivery),
           HELIX_INVALID_INPUT, "send_audio_delivery: zero length, valid pointer");
    EXPECT_TRUE(delivery == 77, "send_audio_delivery: out untouched");
    /* 10 MB in one chunk is 160 s of audio: a session of its own, dropped with
     * helix_assist_free, so stopping the session below does not wait for the simulator to play
     * through it (that wait is correct, and some 25 s of this suite's time for nothing). */
    {
        helix_assist *big = NULL;
        EXPECT(helix_assist_start(&config, NULL, NULL, &big), HELIX_OK, "hostile: 10 MB session");
        EXPECT(helix_assist_send_audio_delivery(big, huge_bytes, HUGE_LEN, &delivery), HELIX_OK,
               "send_audio_delivery: 10 MB in one chunk");
        EXPECT_TRUE(delivery == HELIX_AUDIO_QUEUED || delivery == HELIX_AUDIO_DROPPED,
                    "send_audio_delivery: 10 MB queued or dropped, never lost silently");
        helix_assist_free(big);
    }
    EXPECT(helix_assist_send_audio(assist, huge_bytes, 3, &queued), HELIX_OK,
           "send_audio: 3 bytes of linear16 stereo");
    struct json_table lead = json_table("name", "history");
    EACH_JSON(lead, v, LEAD_JSON_WANT, "update_lead", helix_assist_update_lead(assist, v), );
    free_json_table(&lead);
    EACH_HOSTILE(v, WANT(NULL_POINTER, INVALID_UTF8, INVALID_INPUT, INVALID_INPUT,
                         INVALID_INPUT, INVALID_INPUT),
                 "update_lead", helix_assist_update_lead(assist, v));
    /* The lead's phone is only compared (never dialled or sent): kept as given. */
    EXPECT(helix_assist_update_lead(assist, "{\"phone\":\"\\u202e9876512345\"}"), HELIX_OK,
           "update_lead: an RTL override in the phone");
    EXPECT(helix_assist_set_private(assist, true), HELIX_OK, "set_private: on");
    EXPECT(helix_assist_set_on_hold(assist, true), HELIX_OK, "set_on_hold: on while private");
    EXPECT(helix_assist_finalize(assist), HELIX_OK, "finalize: while private and on hold");
    EXPECT(helix_assist_send_audio_delivery(assist, huge_bytes, HUGE_LEN, &delivery), HELIX_OK,
           "send_audio_delivery: 10 MB while private");
    EXPECT_TRUE(delivery == HELIX_AUDIO_WITHHELD, "send_audio_delivery: withheld");
    EXPECT(helix_assist_set_on_hold(NULL, true), HELIX_NULL_POINTER, "set_on_hold: NULL");
    EXPECT(helix_assist_finalize(NULL), HELIX_NULL_POINTER, "finalize: NULL");
    EXPECT(helix_assist_metrics(NULL, NULL), HELIX_NULL_POINTER, "metrics: NULL and NULL");
    EXPECT(helix_assist_stop(NULL, NULL), HELIX_NULL_POINTER, "stop: NULL");
    char *json = NULL;
    EXPECT(helix_assist_metrics(assist, &json), HELIX_OK, "metrics: while private");
    EXPECT_TRUE(json != NULL && strstr(json, "\"privateSeconds\"") != NULL,
                "metrics: privateSeconds");
    helix_string_free(json);
    EXPECT(helix_assist_stop(assist, NULL), HELIX_OK, "stop: while private, NULL summary");
    EXPECT(helix_assist_set_private(assist, false), HELIX_CLOSED, "set_private: off after stop");
    /* Arguments are read before the session's state: hostile JSON is still refused as such. */
    EXPECT(helix_assist_update_lead(assist, deep_json), HELIX_INVALID_INPUT,
           "update_lead: hostile JSON after stop");
    EXPECT(helix_assist_update_lead(assist, "{}"), HELIX_CLOSED, "update_lead: after stop");
    EXPECT(helix_assist_send_audio_delivery(assist, huge_bytes, HUGE_LEN, NULL), HELIX_CLOSED,
           "send_audio_delivery: 10 MB after stop");
    helix_assist_free(assist);
}


static void hostile_redact(void) {
    GROUP("redact");
    char *json = SENTINEL;
    EACH_HOSTILE_OF(HOSTILE, v, WANT(NULL_POINTER, INVALID_UTF8, OK, OK, OK, OK), "redact: text",
                    helix_redact(v, NULL, &json), (helix_string_free(json), json = SENTINEL));
    struct json_table t = json_table("leadPhone", "keywords");
    EACH_JSON(t, v, LEAD_JSON_WANT, "redact: options_json", helix_redact("x", v, &json),
              (helix_string_free(json), json = SENTINEL));
    free_json_table(&t);
    EACH_HOSTILE_OF(HOSTILE, v, WANT_OPTIONAL,
                    "redact: options_json", helix_redact("x", v, &json),
                    (helix_string_free(json), json = SENTINEL));
    EXPECT(helix_redact("x",
                        "{\"keywords\":[\""
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]}",
                        &json),
           HELIX_INVALID_INPUT, "redact: a 65-character keyword");
    EXPECT(helix_redact("x", "{\"keywords\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\","
                             "\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\",\"r\","
                             "\"s\",\"t\",\"u\",\"v\",\"w\",\"x\",\"y\",\"z\",\"aa\",\"ab\","
                             "\"ac\",\"ad\",\"ae\",\"af\",\"ag\"]}",
                        &json),
           HELIX_INVALID_INPUT, "redact: 33 keywords");
    EXPECT_TRUE(json == SENTINEL, "redact: out untouched by every hostile options case");
    /* Keywords and the lead's phone are only matched against the text: a newline splits a
     * keyword into words, a lead phone that is no number matches nothing. */
    EXPECT(helix_redact("x", "{\"keywords\":[\"MR\\nN\"]}", &json), HELIX_OK,
           "redact: a keyword with a newline");
    helix_string_free(json);
    EXPECT(helix_redact("call 9876512345", "{\"leadPhone\":\"12\"}", &json), HELIX_OK,
           "redact: a leadPhone that is no number");
    EXPECT_TRUE(json != NULL && strstr(json, "[phone]") != NULL,
                "redact: a leadPhone that is no number keeps nothing");
    helix_string_free(json);
}

static void hostile_errors(void) {
    GROUP("errors");
    for (size_t i = 0; i < sizeof HOSTILE_U32 / sizeof HOSTILE_U32[0]; i++) {
        EXPECT_TRUE(strcmp(helix_status_name(HOSTILE_U32[i]), "unknown") == 0,
                    "status_name: a huge value is unknown");
    }
    EXPECT_TRUE(strcmp(helix_status_name(13), "unknown") == 0, "status_name: one past");
    EXPECT(helix_redact(NULL, NULL, NULL), HELIX_NULL_POINTER, "a failure sets a message");
    EXPECT_TRUE(helix_last_agent_refusal() == HELIX_REFUSAL_NONE,
                "last_agent_refusal: none after a non-agent failure");
    const char *first = helix_last_error();
    EXPECT_TRUE(helix_last_error() == first && first[0] != '\0',
                "last_error: stable between calls");
    helix_string_free(NULL);
}

static void hostile_cases(void) {
    hostile_setup();
    hostile_errors();
    hostile_client();
    struct desk d = desk_open();
    hostile_agent(&d);
    hostile_desk(&d);
    hostile_reports(&d);
    hostile_events(&d);
    desk_close(&d);
    hostile_assist_config();
    hostile_assist_session();
    hostile_redact();
    hostile_teardown();
}

int main(void) {
    if (getenv("OZONETEL_BASE_URL") == NULL || getenv("DEEPGRAM_URL") == NULL) {
        fprintf(stderr, "set OZONETEL_BASE_URL and DEEPGRAM_URL (the simulator's URLs)\n");
        return 2;
    }
    GROUP("errors");
    EXPECT_TRUE(strcmp(helix_status_name(HELIX_PANIC), "panic") == 0, "status name");
    EXPECT_TRUE(strcmp(helix_status_name(1234), "unknown") == 0, "unknown status name");
    helix_string_free(NULL);
    ozonetel_cases();
    desk_cases();
    assist_cases();
    slow_consumer_case();
    redact_cases();
    hostile_cases();
    /* Each group's count has a floor, so a case lost in an edit is noticed. */
    static const struct {
        const char *name;
        int floor;
    } floors[] = {
        {"errors", 8},    {"client", 40},  {"agent", 60},   {"desk", 70},
        {"reports", 70},  {"events", 50},  {"assist_config", 120},
        {"assist_session", 60}, {"redact", 35},
    };
    current_group = -1; /* the floors below are not cases of any group */
    int total = 0;
    for (int i = 0; i < group_count; i++) {
        printf("group %-16s %4d cases\n", group_names[i], group_counts[i]);
        total += group_counts[i];
    }
    for (size_t i = 0; i < sizeof floors / sizeof floors[0]; i++) {
        int n = -1;
        for (int g = 0; g < group_count; g++) {
            if (strcmp(group_names[g], floors[i].name) == 0) {
                n = group_counts[g];
            }
        }
        EXPECT_TRUE(n >= floors[i].floor, floors[i].name);
        if (n < floors[i].floor) {
            fprintf(stderr, "group %s: %d cases, fewer than %d\n", floors[i].name, n,
                    floors[i].floor);
        }
    }
    EXPECT_TRUE(total >= 600, "at least 600 cases in all");
    printf("%d cases in %d groups\n", total, group_count);
    printf("%d passed, %d failed\n", checks - failed, failed);
    return failed == 0 ? 0 : 1;
}
