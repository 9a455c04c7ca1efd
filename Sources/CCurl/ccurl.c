#include "ccurl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t collect(char *data, size_t size, size_t count, void *context) {
    cc_response *out = context;
    size_t more = size * count;
    char *grown = realloc(out->body, out->length + more + 1);
    if (grown == NULL) return 0;
    memcpy(grown + out->length, data, more);
    out->body = grown;
    out->length += more;
    out->body[out->length] = 0;
    return more;
}

void cc_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int cc_request(const char *method, const char *url, const char *bearer, const char *body, size_t body_length,
               double timeout, const char *ca_file, cc_response *out) {
    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(out->error, sizeof out->error, "libcurl could not start");
        return -1;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char authorization[512];
    if (bearer != NULL) {
        snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
        headers = curl_slist_append(headers, authorization);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // the agent takes its signals with sigtimedwait
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, out->error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_length);
    }
    if (ca_file != NULL) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
    CURLcode code = curl_easy_perform(curl);
    if (code == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    } else if (out->error[0] == 0) {
        snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(code));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return code == CURLE_OK ? 0 : -1;
}

void cc_free(cc_response *response) {
    free(response->body);
    response->body = NULL;
    response->length = 0;
}
