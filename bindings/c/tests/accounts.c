/*
 * Two accounts in one process, from C. The core shares one token, budget and CDR pace per
 * account across every client of it in the process (however each was built), so C gets it
 * without a registry of its own: two clients of one account — even with the base URL spelled
 * differently — generate one token between them; a client of another account generates its
 * own, and agents of the two accounts act each with its own account's token. Four threads
 * making the first calls of a third account's two clients at once still generate one token.
 *
 * Each account also has its own CDR pace: the second account pages its call history and
 * joins a call event to its record while the first account's CDR budget belongs to the
 * dialers that ran before.
 *
 * The simulator's control API (HELIX_SIM_CONTROL, e.g. http://127.0.0.1:PORT/sim) adds the
 * second account and its call history, and counts token generations per account.
 *
 * Needs OZONETEL_BASE_URL and HELIX_SIM_CONTROL (scripts/test.sh sets them).
 */
#define _POSIX_C_SOURCE 200809L

#include <helix_engage.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_support.h"

/* Tokens the simulator generated for `user` since it started; -1 when it cannot tell. */
static long generations(const char *user) {
    char path[128];
    snprintf(path, sizeof path, "/tokens/%s", user);
    char *body = control_request("GET", path, NULL);
    if (body == NULL) {
        return -1;
    }
    const char *field = strstr(body, "\"generations_total\":");
    long n = field ? strtol(field + strlen("\"generations_total\":"), NULL, 10) : -1;
    free(body);
    return n;
}

static helix_ozonetel *client_for(const char *base_url, const char *user, const char *key) {
    helix_ozonetel_config config = {0};
    config.base_url = base_url;
    config.user_name = user;
    config.api_key = key;
    helix_ozonetel *client = NULL;
    EXPECT_OK(helix_ozonetel_new(&config, &client), "helix_ozonetel_new");
    return client;
}

/* One call that needs the account's token (the missed-calls report, which is not CDR-paced). */
static void use(helix_ozonetel *client, const char *what) {
    char *json = NULL;
    EXPECT_OK(helix_ozonetel_abandoned_calls(client, NULL, &json), what);
    helix_string_free(json);
}

/* The account's local time (IST, +05:30) `seconds_from_now` from now, "YYYY-MM-DD HH:MM:SS". */
static void local_time(long seconds_from_now, char out[20]) {
    time_t t = time(NULL) + 19800 + seconds_from_now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
}

struct paging {
    const char *ucid;
    int pages;
    int found;
};

/* Stops after the first page that holds the call. */
static int on_page(void *user_data, const char *page_json) {
    struct paging *p = user_data;
    p->pages++;
    printf("     page: %.120s\n", page_json);
    if (strstr(page_json, p->ucid) != NULL) {
        p->found = 1;
        return 1;
    }
    return 0;
}

/* globex's history: page it, then join a call event to its record (two CDR requests). */
static void history_steps(helix_ozonetel *globex) {
    char *seeded = control_request("POST", "/history", "{\"account\":\"globex\",\"answered\":true}");
    char ucid[64] = "";
    const char *at = seeded ? strstr(seeded, "\"ucids\":[\"") : NULL;
    if (at != NULL) {
        sscanf(at + strlen("\"ucids\":[\""), "%63[0-9]", ucid);
    }
    free(seeded);
    EXPECT_TRUE(ucid[0] != '\0', "simulator: a past call of globex seeded");
    if (ucid[0] == '\0') {
        return;
    }
    char from[20], to[20], now[20];
    local_time(-10 * 60, from);
    local_time(60, to);
    local_time(0, now);
    helix_call_records_query query = {0};
    query.from = from;
    query.to = to;
    struct paging paging = {ucid, 0, 0};
    uint32_t delivered = 0;
    EXPECT_OK(helix_ozonetel_call_record_pages(globex, &query, 1, on_page, &paging, &delivered),
              "globex: call history page by page (one record a page)");
    EXPECT_TRUE(paging.found && delivered == (uint32_t)paging.pages && delivered >= 1,
                "globex: the call's page arrived; a non-zero return stopped the paging");

    char body[256];
    snprintf(body, sizeof body,
             "{\"eventType\":\"Call\",\"action\":\"Disconnect\",\"ucid\":%s,"
             "\"monitor_ucid\":\"1\",\"agent_id\":\"agent1\",\"event_time\":\"%s\"}",
             ucid, now);
    helix_ozonetel_event *event = NULL;
    EXPECT_OK(helix_ozonetel_event_parse("application/json", (const uint8_t *)body, strlen(body),
                                         &event),
              "parse a Disconnect event for the call");
    char *record = NULL;
    if (event != NULL &&
        (expect_ok_at(__LINE__, helix_ozonetel_call_record_for(globex, event, &record),
                      "globex: the event's call record"),
         record != NULL)) {
        char want[96];
        snprintf(want, sizeof want, "\"ucid\":\"%s\"", ucid);
        EXPECT_TRUE(strstr(record, want) != NULL, "the record is the event's call (joined on ucid)");
        helix_string_free(record);
    }
    helix_ozonetel_event_free(event);
}

struct racer {
    helix_ozonetel *client;
    helix_status status;
};

static void *race(void *arg) {
    struct racer *r = arg;
    char *json = NULL;
    r->status = helix_ozonetel_abandoned_calls(r->client, NULL, &json);
    helix_string_free(json);
    return NULL;
}

/* A cold account, two clients, four threads asking at once: still one token. */
static void race_steps(const char *base_url) {
    char *added = control_request("POST", "/accounts",
                                  "{\"userName\":\"initech\",\"apiKey\":\"sim-initech-key\"}");
    EXPECT_TRUE(added != NULL, "simulator: third account initech added");
    free(added);
    long before = generations("initech");
    helix_ozonetel *one = client_for(base_url, "initech", "sim-initech-key");
    helix_ozonetel *two = client_for(base_url, "initech", "sim-initech-key");
    if (one == NULL || two == NULL) {
        helix_ozonetel_free(one);
        helix_ozonetel_free(two);
        return;
    }
    struct racer racers[4] = {{one, HELIX_PANIC}, {two, HELIX_PANIC}, {one, HELIX_PANIC},
                              {two, HELIX_PANIC}};
    pthread_t threads[4];
    int started = 0;
    for (int i = 0; i < 4; i++) {
        started += pthread_create(&threads[i], NULL, race, &racers[i]) == 0;
    }
    EXPECT_TRUE(started == 4, "four threads started");
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        ok &= racers[i].status == HELIX_OK;
    }
    EXPECT_TRUE(ok, "initech: four concurrent calls on two clients succeeded");
    long made = generations("initech") - before;
    printf("     token generations: initech %ld (four concurrent first calls)\n", made);
    EXPECT_TRUE(made == 1, "concurrent first calls of two clients generated one token");
    helix_ozonetel_free(one);
    helix_ozonetel_free(two);
}

int main(void) {
    const char *base_url = getenv("OZONETEL_BASE_URL");
    if (base_url == NULL || getenv("HELIX_SIM_CONTROL") == NULL) {
        fprintf(stderr, "set OZONETEL_BASE_URL and HELIX_SIM_CONTROL (the simulator's URLs)\n");
        return 2;
    }
    char *added = control_request("POST", "/accounts",
                                  "{\"userName\":\"globex\",\"apiKey\":\"sim-globex-key\"}");
    EXPECT_TRUE(added != NULL, "simulator: second account globex added");
    free(added);

    long acme_before = generations("acme"), globex_before = generations("globex");
    EXPECT_TRUE(acme_before >= 0 && globex_before >= 0, "simulator: token counts readable");

    /* The same account twice: the second spells the base URL another way (scheme and host
     * case, trailing slash); the core's registry normalises it to the same account. */
    char shouted[512];
    snprintf(shouted, sizeof shouted, "%s/", base_url);
    for (char *p = shouted; *p != '\0' && *p != ':'; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    helix_ozonetel *acme_one = client_for(base_url, "acme", "sim-api-key");
    helix_ozonetel *acme_two = client_for(shouted, "acme", "sim-api-key");
    helix_ozonetel *globex = client_for(base_url, "globex", "sim-globex-key");
    if (acme_one == NULL || acme_two == NULL || globex == NULL) {
        return 1;
    }
    use(acme_one, "acme, first client: a call with the token");
    use(acme_two, "acme, second client (HTTP://…/): a call with the token");
    use(globex, "globex: a call with its own token");

    /* Agents of each account act with their own account's token. */
    helix_agent_ref who = {0};
    who.id = "agent1";
    who.phone_name = "523590";
    who.did = "918041763265";
    helix_agent *acme_agent = NULL, *globex_agent = NULL;
    EXPECT_OK(helix_ozonetel_agent_new(acme_two, &who, &acme_agent), "acme agent");
    EXPECT_OK(helix_ozonetel_agent_new(globex, &who, &globex_agent), "globex agent");
    /* Freeing a client does not end its account while an agent still holds it. */
    helix_ozonetel_free(acme_two);
    helix_ozonetel_free(globex);
    helix_status acme_hold =
        helix_agent_call_control(acme_agent, HELIX_ACTION_HOLD, "123456789", NULL, NULL);
    helix_status globex_hold =
        helix_agent_call_control(globex_agent, HELIX_ACTION_HOLD, "123456789", NULL, NULL);
    /* An unknown call: the simulator refuses it (HELIX_API), after accepting the token. */
    EXPECT_TRUE(acme_hold == HELIX_API, "acme agent: authenticated, unknown call refused");
    EXPECT_TRUE(globex_hold == HELIX_API, "globex agent: authenticated, unknown call refused");
    use(acme_one, "acme, first client again");

    /* A new globex client joins the account its agent still holds: no new token. */
    helix_ozonetel *globex_again = client_for(base_url, "globex", "sim-globex-key");
    if (globex_again != NULL) {
        history_steps(globex_again);
        helix_ozonetel_free(globex_again);
    }

    long acme_made = generations("acme") - acme_before;
    long globex_made = generations("globex") - globex_before;
    printf("     token generations: acme %ld, globex %ld\n", acme_made, globex_made);
    EXPECT_TRUE(acme_made == 1, "two clients on one account generated one token");
    EXPECT_TRUE(globex_made == 1, "the other account generated its own token");

    helix_agent_free(acme_agent);
    helix_agent_free(globex_agent);
    helix_ozonetel_free(acme_one);
    race_steps(base_url);
    printf("%d passed, %d failed\n", checks - failed, failed);
    return failed == 0 ? 0 : 1;
}
