/*
 * Privacy and after-call work from C, against the simulator: a private stretch withholds the
 * call's audio (the simulator's Deepgram receives exactly the audio sent outside it), its
 * start and end reach the callback as HELIX_EVENT_PRIVATE and leave one "private" marker
 * segment in the transcript; post_call_json yields a postCall whose suggestedDisposition is
 * one of the dispositions given; helix_redact takes a card number and an Aadhaar number out.
 *
 * The simulator's Deepgram plays its default script (a clinic enquiry ending "can I get an
 * appointment next week?") by audio bytes received, and its OpenAI answers the call_summary
 * schema with the listed disposition that shares most words with the transcript.
 *
 * Needs DEEPGRAM_URL, OPENAI_BASE_URL and HELIX_SIM_CONTROL (scripts/test.sh sets them).
 */
#define _POSIX_C_SOURCE 200809L

#include <helix_engage.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_support.h"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* What the callback saw, in order. */
struct seen {
    atomic_int private_on;   /* HELIX_EVENT_PRIVATE with "private":true */
    atomic_int private_off;  /* … with "private":false, after an "on" */
    atomic_int marker;       /* final transcripts of kind "private" */
    atomic_int closed;
    atomic_int out_of_order; /* an "off" before any "on", or a marker before the "off" */
};

static void on_event(void *user_data, const helix_event *event) {
    struct seen *s = user_data;
    switch (event->kind) {
    case HELIX_EVENT_PRIVATE:
        if (strstr(event->json, "\"type\":\"private\"") == NULL) {
            atomic_fetch_add(&s->out_of_order, 1);
        } else if (strstr(event->json, "\"private\":true") != NULL) {
            atomic_fetch_add(&s->private_on, 1);
        } else if (atomic_load(&s->private_on) == 0) {
            atomic_fetch_add(&s->out_of_order, 1);
        } else {
            atomic_fetch_add(&s->private_off, 1);
        }
        break;
    case HELIX_EVENT_TRANSCRIPT:
        if (strstr(event->json, "\"kind\":\"private\"") != NULL) {
            if (atomic_load(&s->private_off) == 0) {
                atomic_fetch_add(&s->out_of_order, 1);
            }
            atomic_fetch_add(&s->marker, 1);
        }
        break;
    case HELIX_EVENT_CLOSED:
        atomic_fetch_add(&s->closed, 1);
        break;
    default:
        break;
    }
}

/* 16 kHz stereo linear16 (the config's defaults): 64 000 bytes a second, 20 ms chunks. */
enum { BYTES_PER_SECOND = 64000, CHUNK = 1280 };

/* Sends `seconds` of a quiet tone in 20 ms chunks, a little faster than real time. Adds the
 * bytes the library took for Deepgram (queued, or dropped and so replaced by as much silence)
 * to `*sent`, and counts the chunks withheld in `*withheld`. */
static void send_seconds(helix_assist *assist, int seconds, long *sent, int *withheld) {
    static uint8_t chunk[CHUNK];
    for (size_t i = 0; i < CHUNK; i += 4) {
        int16_t v = (int16_t)((i / 4) % 32 < 16 ? 800 : -800);
        memcpy(chunk + i, &v, 2);
        memcpy(chunk + i + 2, &v, 2);
    }
    for (int n = 0; n < seconds * BYTES_PER_SECOND / CHUNK; n++) {
        uint32_t delivery = 0;
        helix_status st = helix_assist_send_audio_delivery(assist, chunk, CHUNK, &delivery);
        if (st != HELIX_OK) {
            EXPECT_OK(st, "send_audio_delivery");
            return;
        }
        if (delivery == HELIX_AUDIO_WITHHELD) {
            (*withheld)++;
        } else {
            *sent += CHUNK;
        }
        sleep_ms(n % 4 == 0 ? 5 : 0);
    }
}

/* The number after `"field":` in `text`, at or after `from`; -1 when absent. */
static double number_after(const char *from, const char *field) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", field);
    const char *at = from ? strstr(from, key) : NULL;
    return at ? strtod(at + strlen(key), NULL) : -1;
}

/* The first request id in the summary's "requestIds":["…"]. */
static int first_request_id(const char *summary, char *out, size_t cap) {
    const char *at = strstr(summary, "\"requestIds\":[\"");
    if (at == NULL) {
        return 0;
    }
    at += strlen("\"requestIds\":[\"");
    const char *end = strchr(at, '"');
    if (end == NULL || (size_t)(end - at) >= cap) {
        return 0;
    }
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = '\0';
    return 1;
}

static void private_stretch_and_post_call(void) {
    helix_assist_config config = {0};
    config.deepgram_api_key = "sim-deepgram-key";
    config.deepgram_url = getenv("DEEPGRAM_URL");
    config.openai_api_key = "sim-openai-key";
    config.openai_base_url = getenv("OPENAI_BASE_URL");
    config.post_call_json =
        "{\"timeoutMs\":5000,\"dispositions\":[\"Wrong Number\",\"Appointment Booked\","
        "\"Billing Query\"]}";

    struct seen s;
    atomic_init(&s.private_on, 0);
    atomic_init(&s.private_off, 0);
    atomic_init(&s.marker, 0);
    atomic_init(&s.closed, 0);
    atomic_init(&s.out_of_order, 0);
    helix_assist *assist = NULL;
    EXPECT_OK(helix_assist_start(&config, on_event, &s, &assist),
              "start (post_call_json, simulator)");
    if (assist == NULL) {
        return;
    }

    long sent = 0;
    int withheld = 0;
    send_seconds(assist, 8, &sent, &withheld);
    EXPECT_OK(helix_assist_set_private(assist, true), "set_private(true)");
    for (int i = 0; i < 100 && atomic_load(&s.private_on) == 0; i++) {
        sleep_ms(10);
    }
    EXPECT_TRUE(atomic_load(&s.private_on) == 1, "the private event arrives through the callback");
    send_seconds(assist, 3, &sent, &withheld);
    EXPECT_TRUE(withheld == 3 * BYTES_PER_SECOND / CHUNK,
                "every chunk of the private stretch is withheld (HELIX_AUDIO_WITHHELD)");
    EXPECT_OK(helix_assist_set_private(assist, false), "set_private(false)");
    send_seconds(assist, 13, &sent, &withheld);
    EXPECT_TRUE(withheld == 3 * BYTES_PER_SECOND / CHUNK, "nothing withheld after the stretch");

    char *summary = NULL;
    EXPECT_OK(helix_assist_stop(assist, &summary), "stop");
    helix_assist_free(assist);
    if (summary == NULL) {
        return;
    }
    EXPECT_TRUE(atomic_load(&s.private_off) == 1, "the end of the stretch arrives too");
    EXPECT_TRUE(atomic_load(&s.marker) == 1, "one private marker segment, as a final transcript");
    EXPECT_TRUE(atomic_load(&s.out_of_order) == 0, "on, off, then the marker, in order");
    EXPECT_TRUE(atomic_load(&s.closed) == 1, "closed delivered before stop returned");

    const char *marker = strstr(summary, "\"kind\":\"private\"");
    EXPECT_TRUE(marker != NULL && strstr(marker, "\"text\":\"[private]\"") != NULL,
                "the summary's transcript holds the [private] marker");
    double private_seconds = number_after(strstr(summary, "\"metrics\""), "privateSeconds");
    printf("     privateSeconds %.3f\n", private_seconds);
    EXPECT_TRUE(private_seconds > 2.99 && private_seconds < 3.01,
                "metrics: privateSeconds is the stretch's 3 s");

    const char *post_call = strstr(summary, "\"postCall\":{");
    printf("     %.300s\n", post_call ? post_call : summary);
    EXPECT_TRUE(post_call != NULL, "the summary carries postCall");
    EXPECT_TRUE(post_call != NULL &&
                    strstr(post_call, "\"suggestedDisposition\":\"Appointment Booked\"") != NULL,
                "postCall.suggestedDisposition is the listed one the call was about");
    EXPECT_TRUE(strstr(summary, "\"postCallError\":null") != NULL, "no postCallError");

    /* The simulator's record of the connection: only the audio sent outside the stretch. */
    char request_id[128];
    EXPECT_TRUE(first_request_id(summary, request_id, sizeof request_id),
                "the summary names Deepgram's request id");
    char *sessions = control_request("GET", "/deepgram/sessions", NULL);
    EXPECT_TRUE(sessions != NULL, "the simulator lists its Deepgram sessions");
    if (sessions != NULL) {
        char key[160];
        snprintf(key, sizeof key, "\"request_id\":\"%s\"", request_id);
        const char *session = strstr(sessions, key);
        EXPECT_TRUE(session != NULL, "the simulator has the session");
        double received = number_after(session, "bytes_received");
        printf("     simulator received %.0f bytes; sent outside the stretch %ld\n", received,
               sent);
        EXPECT_TRUE(received == (double)sent,
                    "the simulator's Deepgram received exactly the audio outside the stretch");
        free(sessions);
    }
    helix_string_free(summary);
}

static void redact_a_card_and_an_aadhaar(void) {
    char *json = NULL;
    EXPECT_OK(helix_redact("my card is 4111 1111 1111 1111 and my aadhaar is 2345 6789 0124",
                           NULL, &json),
              "helix_redact");
    if (json == NULL) {
        return;
    }
    printf("     %s\n", json);
    EXPECT_TRUE(strstr(json, "[card]") != NULL && strstr(json, "[aadhaar]") != NULL,
                "redact: the card and the Aadhaar become their markers");
    EXPECT_TRUE(strstr(json, "4111") == NULL && strstr(json, "0124") == NULL,
                "redact: none of their digits are left");
    EXPECT_TRUE(strstr(json, "\"kinds\":[\"card\",\"aadhaar\"]") != NULL,
                "redact: the kinds in text order");
    helix_string_free(json);
}

int main(void) {
    if (getenv("DEEPGRAM_URL") == NULL || getenv("OPENAI_BASE_URL") == NULL ||
        getenv("HELIX_SIM_CONTROL") == NULL) {
        fprintf(stderr, "set DEEPGRAM_URL, OPENAI_BASE_URL and HELIX_SIM_CONTROL (the simulator's)\n");
        return 2;
    }
    private_stretch_and_post_call();
    redact_a_card_and_an_aadhaar();
    printf("%d passed, %d failed\n", checks - failed, failed);
    return failed == 0 ? 0 : 1;
}
