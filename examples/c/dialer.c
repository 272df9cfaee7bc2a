/*
 * A small dialer on helix-engage's C ABI: an agent desk (login, Ready, dial, disposition,
 * logout), event subscriptions, call control, recording, a warm transfer, missed calls, call
 * history, and live assist on the call's audio (with a private stretch, as when the recording
 * is paused while the caller reads out a card number, and the post-call summary with its
 * suggested disposition). It uses only <helix_engage.h>.
 *
 *   dialer UCID AUDIO.raw
 *
 * UCID is a live call's id; AUDIO.raw is 16 kHz stereo signed 16-bit little-endian PCM (agent
 * on the left channel, customer on the right). Settings come from the environment:
 *
 *   OZONETEL_BASE_URL  OZONETEL_USER_NAME  OZONETEL_API_KEY   (the account)
 *   HELIX_AGENT_ID  HELIX_AGENT_PHONE_NAME  HELIX_AGENT_NUMBER  HELIX_AGENT_CAMPAIGN
 *   HELIX_AGENT_DID    (the agent acting; no field has a default)
 *   DEEPGRAM_URL  DEEPGRAM_API_KEY  OPENAI_BASE_URL  OPENAI_API_KEY
 *   HELIX_AGENT_PASSWORD  HELIX_DIAL_NUMBER  HELIX_DISPOSITION
 *                      the agent desk: login, Ready, dial the number, dispose the call with
 *                      that code, logout (skipped when any is unset)
 *   OZONETEL_EVENTS_BASE_URL  the event subscription host (subscribe, list, unsubscribe;
 *                      skipped when unset)
 *   HELIX_TRANSFER_TARGET   the number a warm transfer goes to (skipped when unset)
 *   HELIX_CDR_FROM HELIX_CDR_TO   "YYYY-MM-DD HH:MM:SS" call-history window (skipped when unset)
 *
 * Exits 0 when every step succeeded. scripts/test.sh runs it against the simulator, under
 * valgrind.
 */
#define _POSIX_C_SOURCE 200809L

#include <helix_engage.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : fallback;
}

/* Reports a call's outcome; on failure prints the status name and helix_last_error(). */
static int check(helix_status status, const char *what) {
    if (status == HELIX_OK) {
        printf("ok    %s\n", what);
        return 1;
    }
    fprintf(stderr, "FAIL  %s: %s: %s\n", what, helix_status_name(status), helix_last_error());
    failures++;
    return 0;
}

/* Prints a JSON result (shortened) and frees it. */
static void show(const char *label, char *json) {
    if (json == NULL) {
        return;
    }
    size_t len = strlen(json);
    printf("      %s: %.160s%s\n", label, json, len > 160 ? "..." : "");
    helix_string_free(json);
}

static size_t count_occurrences(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the agent desk ---------------------------------------------------------------------- */

static const char *login_name(uint32_t outcome) {
    switch (outcome) {
    case HELIX_LOGIN_LOGGED_IN: return "logged in";
    case HELIX_LOGIN_ALREADY_LOGGED_IN: return "already logged in";
    case HELIX_LOGIN_LOGGED_OUT: return "logged out";
    case HELIX_LOGIN_NOT_LOGGED_IN: return "was not logged in";
    default: return "?";
    }
}

/* Login → Ready → dial → dispose (during the call: queued) → logout. The password is passed
 * through and never appears in any message the library writes. */
static void desk_steps(const helix_ozonetel *client, const helix_agent *agent) {
    const char *password = getenv("HELIX_AGENT_PASSWORD");
    const char *customer = getenv("HELIX_DIAL_NUMBER");
    const char *code = getenv("HELIX_DISPOSITION");
    if (password == NULL || customer == NULL || code == NULL) {
        printf("      (agent desk skipped: set HELIX_AGENT_PASSWORD, HELIX_DIAL_NUMBER, "
               "HELIX_DISPOSITION)\n");
        return;
    }
    char *codes = NULL;
    if (check(helix_ozonetel_dispositions(client, &codes), "the account's disposition codes")) {
        if (strstr(codes, code) == NULL) {
            fprintf(stderr, "FAIL  %s is not among the account's codes %s\n", code, codes);
            failures++;
        }
        show("codes", codes);
    }
    uint32_t outcome = 0;
    if (!check(helix_agent_login(agent, password, &outcome), "agent login")) {
        return;
    }
    printf("      %s\n", login_name(outcome));
    char *json = NULL;
    if (check(helix_agent_set_ready(agent, &json), "agent Ready")) {
        show("answer", json);
    }
    char *ucid = NULL;
    if (check(helix_agent_dial(agent, customer, NULL, &ucid), "manual dial") && ucid != NULL) {
        printf("      dialled: UCID %s\n", ucid);
        /* A second dial while the agent is on the call is refused for the agent's state. */
        char *again = NULL;
        helix_status busy = helix_agent_dial(agent, customer, NULL, &again);
        printf("      a second dial: %s (refusal %u)\n", helix_status_name(busy),
               helix_last_agent_refusal());
        if (busy != HELIX_AGENT_STATE || again != NULL) {
            fprintf(stderr, "FAIL  a dial while busy gave %s\n", helix_status_name(busy));
            failures++;
        }
        sleep_ms(600); /* the simulated customer answers after 200 ms */
        helix_disposition disposition = {0};
        disposition.code = code;
        disposition.comments = "asked for a callback";
        disposition.auto_release = true;
        uint32_t disposed = 0;
        if (check(helix_agent_dispose(agent, ucid, &disposition, &disposed),
                  "dispose the call")) {
            printf("      disposition %s\n", disposed == HELIX_DISPOSE_QUEUED  ? "queued"
                                          : disposed == HELIX_DISPOSE_SAVED ? "saved"
                                                                            : "already disposed");
        }
        /* Once disposed, a call stays disposed: an outcome, not an error. */
        if (check(helix_agent_dispose(agent, ucid, &disposition, &disposed), "dispose again") &&
            disposed != HELIX_DISPOSE_ALREADY_DISPOSED) {
            fprintf(stderr, "FAIL  a second disposition gave outcome %u\n", disposed);
            failures++;
        }
        helix_string_free(ucid);
    }
    if (check(helix_agent_logout(agent, password, &outcome), "agent logout")) {
        printf("      %s\n", login_name(outcome));
    }
    /* Without a login: a dial from the agent's own phone, ended a second after the answer. */
    helix_phone_dial_options phone = {0};
    phone.call_limit_secs = 1;
    if (check(helix_agent_phone_dial(agent, customer, &phone, &ucid), "phone dial (logged out)")) {
        printf("      dialled from the agent's phone: UCID %s\n", ucid ? ucid : "(none)");
        helix_string_free(ucid);
    }
}

/* The account's event webhooks: subscribe, read the subscription back, unsubscribe. */
static void events_steps(const helix_ozonetel *client) {
    if (getenv("OZONETEL_EVENTS_BASE_URL") == NULL) {
        return;
    }
    char *json = NULL;
    if (check(helix_ozonetel_subscribe_events(client, "http://127.0.0.1:9/hooks/call",
                                              "http://127.0.0.1:9/hooks/agent", &json),
              "subscribe to events")) {
        show("answer", json);
    }
    if (check(helix_ozonetel_event_subscriptions(client, &json), "event subscriptions")) {
        if (strstr(json, "/hooks/call") == NULL) {
            fprintf(stderr, "FAIL  the subscription does not name the call URL: %s\n", json);
            failures++;
        }
        show("subscriptions", json);
    }
    if (check(helix_ozonetel_unsubscribe_events(client, HELIX_SUBSCRIPTION_BOTH, &json),
              "unsubscribe")) {
        show("answer", json);
    }
}

/* ---- call control, recording, transfer, reports ------------------------------------------ */

static void progress(void *user_data, const char *progress_json) {
    (void)user_data;
    printf("      call history progress: %s\n", progress_json);
}

static void ozonetel_steps(const char *ucid) {
    helix_ozonetel_config config = {0}; /* zero = defaults */
    config.base_url = getenv("OZONETEL_BASE_URL");
    config.user_name = env_or("OZONETEL_USER_NAME", "acme");
    config.api_key = env_or("OZONETEL_API_KEY", "");
    config.events_base_url = getenv("OZONETEL_EVENTS_BASE_URL");
    config.redis_url = getenv("HELIX_REDIS_URL"); /* NULL: no token sharing across processes */

    helix_ozonetel *client = NULL;
    if (!check(helix_ozonetel_new(&config, &client), "helix_ozonetel_new")) {
        return;
    }
    /* Who acts: the agent's fields come from the host (its login, its database), never a
     * default. A missing field is HELIX_INVALID_INPUT on the call that needs it. */
    helix_agent_ref who = {0};
    who.id = getenv("HELIX_AGENT_ID");
    who.phone_name = getenv("HELIX_AGENT_PHONE_NAME");
    who.number = getenv("HELIX_AGENT_NUMBER");
    who.campaign = getenv("HELIX_AGENT_CAMPAIGN");
    who.did = getenv("HELIX_AGENT_DID");
    helix_agent *agent = NULL;
    if (!check(helix_ozonetel_agent_new(client, &who, &agent), "helix_ozonetel_agent_new")) {
        helix_ozonetel_free(client);
        return;
    }

    desk_steps(client, agent);
    events_steps(client);

    const struct {
        uint32_t action;
        const char *name;
    } steps[] = {
        {HELIX_ACTION_HOLD, "HOLD"},
        {HELIX_ACTION_UNHOLD, "UNHOLD"},
        {HELIX_ACTION_MUTE, "MUTE"},
        {HELIX_ACTION_UNMUTE, "UNMUTE"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char *json = NULL;
        if (check(helix_agent_call_control(agent, steps[i].action, ucid, NULL, &json),
                  steps[i].name)) {
            show("answer", json);
        }
    }

    /* Conference a supervisor in, then drop them: both through call control. */
    const char *supervisor = "+91 99887 76655";
    char *json = NULL;
    if (check(helix_agent_call_control(agent, HELIX_ACTION_CONFERENCE, ucid, supervisor, &json),
              "CONFERENCE supervisor")) {
        show("answer", json);
    }
    check(helix_agent_call_control(agent, HELIX_ACTION_KICK_CALL, ucid, supervisor, NULL),
          "KICK_CALL supervisor (no answer wanted: out_json NULL)");

    if (check(helix_ozonetel_pause_recording(client, ucid, &json), "pause recording")) {
        show("answer", json);
    }
    if (check(helix_ozonetel_resume_recording(client, ucid, &json), "resume recording")) {
        show("answer", json);
    }

    char *missed = NULL;
    if (check(helix_ozonetel_abandoned_calls(client, NULL, &missed), "missed calls today")) {
        printf("      %zu missed call(s)\n", count_occurrences(missed, "\"monitorUcid\""));
        show("missed", missed);
    }

    const char *from = getenv("HELIX_CDR_FROM");
    const char *to = getenv("HELIX_CDR_TO");
    if (from != NULL && to != NULL) {
        helix_call_records_query query = {0};
        query.from = from;
        query.to = to;
        char *records = NULL;
        if (check(helix_ozonetel_call_records(client, &query, progress, NULL, &records),
                  "call history")) {
            printf("      %zu record(s)\n", count_occurrences(records, "\"callId\""));
            show("records", records);
        }
    }

    /* A warm transfer: first cancelled (the agent keeps the customer), then completed. */
    const char *target = getenv("HELIX_TRANSFER_TARGET");
    if (target != NULL) {
        helix_transfer *transfer = NULL;
        if (check(helix_agent_transfer_start(agent, ucid, target, HELIX_TRANSFER_WARM,
                                             &transfer),
                  "warm transfer: conference the target")) {
            check(helix_transfer_cancel(transfer), "warm transfer: cancel");
            uint32_t state = 0;
            if (check(helix_transfer_get_state(transfer, &state), "transfer state") &&
                state != HELIX_TRANSFER_CANCELLED) {
                fprintf(stderr, "FAIL  transfer state is %u, expected cancelled\n", state);
                failures++;
            }
            helix_transfer_free(transfer);
        }
        transfer = NULL;
        if (check(helix_agent_transfer_start(agent, ucid, target, HELIX_TRANSFER_WARM,
                                             &transfer),
                  "warm transfer again")) {
            /* The transfer handle may outlive the agent and client it came from. */
            helix_agent_free(agent);
            agent = NULL;
            helix_ozonetel_free(client);
            client = NULL;
            check(helix_transfer_complete(transfer), "warm transfer: complete (agent leaves)");
            helix_status again = helix_transfer_complete(transfer);
            if (again != HELIX_CLOSED) {
                fprintf(stderr, "FAIL  a second complete gave %s\n", helix_status_name(again));
                failures++;
            }
            helix_transfer_free(transfer);
        }
    }
    helix_agent_free(agent);
    helix_ozonetel_free(client);
}

/* ---- live assist ------------------------------------------------------------------------- */

struct assist_counts {
    atomic_int finals;
    atomic_int interims;
    atomic_int suggestions;
    atomic_int errors;
    atomic_int closed;
    atomic_int private_events;
};

/* Runs on the session's event thread, one event at a time. */
static void on_event(void *user_data, const helix_event *event) {
    struct assist_counts *counts = user_data;
    switch (event->kind) {
    case HELIX_EVENT_TRANSCRIPT:
        if (strstr(event->json, "\"isFinal\":true") != NULL) {
            atomic_fetch_add(&counts->finals, 1);
            printf("      transcript: %.140s\n", event->json);
        } else {
            atomic_fetch_add(&counts->interims, 1);
        }
        break;
    case HELIX_EVENT_SUGGESTION:
        atomic_fetch_add(&counts->suggestions, 1);
        printf("      suggestion: %.200s\n", event->json);
        break;
    case HELIX_EVENT_ERROR:
        atomic_fetch_add(&counts->errors, 1);
        fprintf(stderr, "      assist error: %s\n", event->json);
        break;
    case HELIX_EVENT_CLOSED:
        atomic_fetch_add(&counts->closed, 1);
        break;
    case HELIX_EVENT_PRIVATE:
        atomic_fetch_add(&counts->private_events, 1);
        printf("      private: %s\n", event->json);
        break;
    default:
        break;
    }
    if (strlen(event->json) != event->json_len) {
        fprintf(stderr, "FAIL  json_len does not match the payload\n");
        failures++;
    }
}

static void assist_steps(const char *audio_path) {
    FILE *audio = fopen(audio_path, "rb");
    if (audio == NULL) {
        fprintf(stderr, "FAIL  cannot open %s\n", audio_path);
        failures++;
        return;
    }

    helix_assist_config config = {0}; /* linear16, 16 kHz, stereo, agent first */
    config.deepgram_api_key = env_or("DEEPGRAM_API_KEY", "");
    config.deepgram_url = getenv("DEEPGRAM_URL");
    config.openai_api_key = getenv("OPENAI_API_KEY");
    config.openai_base_url = getenv("OPENAI_BASE_URL");
    config.suggestion_interval_ms = 1000;
    config.suggestion_min_gap_ms = 500;
    config.lead_json = "{\"name\":\"Rahul Sharma\",\"status\":\"follow-up\","
                       "\"history\":[\"asked about knee surgery packages\"]}";
    /* The post-call summary picks one of the account's dispositions (a desk would list them
     * with helix_ozonetel_dispositions); the agent confirms it before disposing. */
    if (config.openai_api_key != NULL) {
        config.post_call_json = "{\"timeoutMs\":5000,\"dispositions\":[\"Appointment Booked\","
                                "\"General Enquiry\",\"Wrong Number\"]}";
    }

    struct assist_counts counts;
    atomic_init(&counts.finals, 0);
    atomic_init(&counts.interims, 0);
    atomic_init(&counts.suggestions, 0);
    atomic_init(&counts.errors, 0);
    atomic_init(&counts.closed, 0);
    atomic_init(&counts.private_events, 0);

    helix_assist *assist = NULL;
    if (!check(helix_assist_start(&config, on_event, &counts, &assist), "helix_assist_start")) {
        fclose(audio);
        return;
    }

    /* 50 ms chunks, sent faster than real time (the simulator times its script by audio). */
    static uint8_t chunk[3200];
    size_t n, sent = 0, dropped = 0, withheld = 0, chunks = 0;
    while ((n = fread(chunk, 1, sizeof chunk, audio)) > 0) {
        /* Chunks 100..139 (2 s) are a private stretch: the recording is paused while the
         * caller reads out a number; none of that audio leaves the process. */
        if (chunks == 100) {
            check(helix_assist_set_private(assist, true), "private stretch (recording paused)");
        } else if (chunks == 140) {
            check(helix_assist_set_private(assist, false), "end of the private stretch");
        }
        uint32_t delivery = 0;
        if (helix_assist_send_audio_delivery(assist, chunk, n, &delivery) != HELIX_OK) {
            check(HELIX_CLOSED, "send audio");
            break;
        }
        sent += n;
        dropped += delivery == HELIX_AUDIO_DROPPED;
        withheld += delivery == HELIX_AUDIO_WITHHELD;
        chunks++;
        if (chunks == 200) {
            check(helix_assist_update_lead(assist, "{\"name\":\"Rahul Sharma\","
                                                   "\"fields\":[[\"Branch\",\"Whitefield\"]]}"),
                  "update lead mid-call");
            check(helix_assist_set_on_hold(assist, true), "hold (assist)");
            check(helix_assist_set_on_hold(assist, false), "unhold (assist)");
        }
        sleep_ms(2);
    }
    fclose(audio);
    printf("      streamed %zu bytes in %zu chunks (%zu dropped, %zu withheld as private)\n", sent,
           chunks, dropped, withheld);
    if (withheld != 40) {
        fprintf(stderr, "FAIL  expected the 40 chunks of the private stretch withheld\n");
        failures++;
    }

    /* Give the transcript and a suggestion time to arrive (generous for valgrind). */
    for (int i = 0; i < 300 && (atomic_load(&counts.finals) < 6 ||
                                atomic_load(&counts.suggestions) < 1);
         i++) {
        sleep_ms(100);
    }

    char *metrics = NULL;
    if (check(helix_assist_metrics(assist, &metrics), "assist metrics")) {
        show("metrics", metrics);
    }

    char *summary = NULL;
    if (check(helix_assist_stop(assist, &summary), "helix_assist_stop")) {
        size_t segments = count_occurrences(summary, "\"speechFinal\"");
        printf("      summary: %zu final segment(s), complete=%s\n", segments,
               strstr(summary, "\"complete\":true") ? "true" : "false");
        if (segments == 0) {
            fprintf(stderr, "FAIL  the summary has no transcript\n");
            failures++;
        }
        const char *post_call = strstr(summary, "\"postCall\":{");
        if (post_call != NULL) {
            printf("      post-call: %.300s\n", post_call);
            /* A JSON string or null; printed up to its closing quote (enough for these codes). */
            const char *value = strstr(post_call, "\"suggestedDisposition\":\"");
            if (value != NULL) {
                value += strlen("\"suggestedDisposition\":\"");
                printf("      suggested disposition (for the agent to confirm): %.*s\n",
                       (int)strcspn(value, "\""), value);
            } else {
                printf("      no disposition suggested\n");
            }
        } else if (config.post_call_json != NULL) {
            fprintf(stderr, "FAIL  no post-call summary: %.300s\n",
                    strstr(summary, "\"postCallError\"") ? strstr(summary, "\"postCallError\"")
                                                          : "(no postCallError)");
            failures++;
        }
        helix_string_free(summary);
    }
    printf("      events: %d finals, %d interims, %d suggestions, %d errors, %d closed\n",
           atomic_load(&counts.finals), atomic_load(&counts.interims),
           atomic_load(&counts.suggestions), atomic_load(&counts.errors),
           atomic_load(&counts.closed));
    if (atomic_load(&counts.finals) == 0 || atomic_load(&counts.suggestions) == 0 ||
        atomic_load(&counts.closed) != 1 || atomic_load(&counts.errors) != 0 ||
        atomic_load(&counts.private_events) != 2) {
        fprintf(stderr, "FAIL  expected finals, a suggestion, one closed event, no errors, the "
                        "private stretch's start and end\n");
        failures++;
    }
    helix_assist_free(assist);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s UCID AUDIO.raw (16 kHz stereo linear16)\n", argv[0]);
        return 2;
    }
    assist_steps(argv[2]);
    ozonetel_steps(argv[1]);
    if (failures != 0) {
        fprintf(stderr, "dialer: %d failure(s)\n", failures);
        return 1;
    }
    printf("dialer: all steps passed\n");
    return 0;
}
