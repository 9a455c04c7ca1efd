#include "ccurl.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libcurl is opened when the remote link starts, never linked: a local agent does not map it and
// the thirty libraries it brings (TLS, HTTP/2, Kerberos, LDAP), about 6 MB of RSS per agent.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

int cc_global_init(char *error, size_t size) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(error, size, "cannot open libcurl.so.4 (apt install libcurl4): %s", dlerror());
        return -1;
    }
#define FIND(field, name) \
    if ((*(void **)&curl.field = dlsym(library, name)) == NULL) { snprintf(error, size, "libcurl has no %s", name); return -1; }
    FIND(global_init, "curl_global_init")
    FIND(easy_init, "curl_easy_init")
    FIND(easy_setopt, "curl_easy_setopt")
    FIND(easy_perform, "curl_easy_perform")
    FIND(easy_getinfo, "curl_easy_getinfo")
    FIND(easy_cleanup, "curl_easy_cleanup")
    FIND(easy_strerror, "curl_easy_strerror")
    FIND(slist_append, "curl_slist_append")
    FIND(slist_free_all, "curl_slist_free_all")
#undef FIND
    return curl.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

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

int cc_request(const char *method, const char *url, const char *bearer, const char *body, size_t body_length,
               double timeout, const char *ca_file, cc_response *out) {
    memset(out, 0, sizeof *out);
    CURL *handle = curl.easy_init == NULL ? NULL : curl.easy_init();
    if (handle == NULL) {
        snprintf(out->error, sizeof out->error, "libcurl is not open (cc_global_init)");
        return -1;
    }
    struct curl_slist *headers = curl.slist_append(NULL, "Content-Type: application/json");
    char authorization[512];
    if (bearer != NULL) {
        snprintf(authorization, sizeof authorization, "Authorization: Bearer %s", bearer);
        headers = curl.slist_append(headers, authorization);
    }
    curl.easy_setopt(handle, CURLOPT_URL, url);
    curl.easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
    curl.easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    curl.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // the agent takes its signals with sigtimedwait
    curl.easy_setopt(handle, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, out->error);
    curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, collect);
    curl.easy_setopt(handle, CURLOPT_WRITEDATA, out);
    if (body != NULL) {
        curl.easy_setopt(handle, CURLOPT_POSTFIELDS, body);
        curl.easy_setopt(handle, CURLOPT_POSTFIELDSIZE, (long)body_length);
    }
    if (ca_file != NULL) curl.easy_setopt(handle, CURLOPT_CAINFO, ca_file);
    CURLcode code = curl.easy_perform(handle);
    if (code == CURLE_OK) {
        curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &out->status);
    } else if (out->error[0] == 0) {
        snprintf(out->error, sizeof out->error, "%s", curl.easy_strerror(code));
    }
    curl.slist_free_all(headers);
    curl.easy_cleanup(handle);
    return code == CURLE_OK ? 0 : -1;
}

void cc_free(cc_response *response) {
    free(response->body);
    response->body = NULL;
    response->length = 0;
}
