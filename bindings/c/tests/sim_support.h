/*
 * What the C tests that read or seed the simulator share (accounts.c, assist_privacy.c): the
 * check counters with EXPECT_TRUE / EXPECT_OK, and one tiny HTTP/1.1 client for the
 * simulator's control API, whose base URL HELIX_SIM_CONTROL names
 * (http://127.0.0.1:PORT/sim; scripts/test.sh sets it).
 *
 * Header-only (static functions and counters): each test is one translation unit. Needs
 * _POSIX_C_SOURCE 200809L defined before the first include (getaddrinfo, strdup).
 */
#ifndef HELIX_SIM_SUPPORT_H
#define HELIX_SIM_SUPPORT_H

#include <helix_engage.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int checks = 0, failed = 0;

static void expect_true_at(int line, int cond, const char *what) {
    checks++;
    if (!cond) {
        fprintf(stderr, "FAIL line %d: %s\n", line, what);
        failed++;
    } else {
        printf("ok   %s\n", what);
    }
}
#define EXPECT_TRUE(cond, what) expect_true_at(__LINE__, (cond), (what))

static void expect_ok_at(int line, helix_status got, const char *what) {
    checks++;
    if (got != HELIX_OK) {
        fprintf(stderr, "FAIL line %d: %s: %s (%s)\n", line, what, helix_status_name(got),
                helix_last_error());
        failed++;
    } else {
        printf("ok   %s\n", what);
    }
}
#define EXPECT_OK(call, what) expect_ok_at(__LINE__, (call), (what))

/* One HTTP/1.1 request to the simulator's control API (plain http, Connection: close).
 * Returns the response body (malloc'd, caller frees) or NULL (a non-2xx answer is printed to
 * stderr). Only what the tests need. */
static char *control_request(const char *method, const char *path, const char *json_body) {
    const char *control = getenv("HELIX_SIM_CONTROL");
    if (control == NULL || strncmp(control, "http://", 7) != 0) {
        return NULL;
    }
    char host[256], port[16] = "80", base_path[256] = "";
    const char *hostport = control + 7;
    const char *slash = strchr(hostport, '/');
    size_t hp_len = slash ? (size_t)(slash - hostport) : strlen(hostport);
    if (hp_len >= sizeof host) {
        return NULL;
    }
    memcpy(host, hostport, hp_len);
    host[hp_len] = '\0';
    if (slash != NULL) {
        snprintf(base_path, sizeof base_path, "%s", slash);
    }
    char *colon = strchr(host, ':');
    if (colon != NULL) {
        *colon = '\0';
        snprintf(port, sizeof port, "%s", colon + 1);
    }

    struct addrinfo hints = {0}, *addrs = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &addrs) != 0) {
        return NULL;
    }
    int fd = socket(addrs->ai_family, addrs->ai_socktype, addrs->ai_protocol);
    if (fd < 0 || connect(fd, addrs->ai_addr, addrs->ai_addrlen) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(addrs);
        return NULL;
    }
    freeaddrinfo(addrs);

    char request[2048];
    size_t body_len = json_body ? strlen(json_body) : 0;
    int n = snprintf(request, sizeof request,
                     "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, base_path, path, host, port, body_len, json_body ? json_body : "");
    if (n < 0 || (size_t)n >= sizeof request || write(fd, request, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *response = malloc(cap);
    ssize_t got;
    while (response != NULL && (got = read(fd, response + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (cap - len < 2) {
            char *bigger = realloc(response, cap * 2);
            if (bigger == NULL) {
                free(response);
                response = NULL;
                break;
            }
            response = bigger;
            cap *= 2;
        }
    }
    close(fd);
    if (response == NULL) {
        return NULL;
    }
    response[len] = '\0';
    char *body = strstr(response, "\r\n\r\n");
    int status = 0;
    if (body == NULL || sscanf(response, "HTTP/1.%*d %d", &status) != 1 || status / 100 != 2) {
        fprintf(stderr, "control %s %s: %.200s\n", method, path, response);
        free(response);
        return NULL;
    }
    char *copy = strdup(body + 4);
    free(response);
    return copy;
}

#endif
