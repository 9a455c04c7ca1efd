#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>

/// One HTTP exchange through libcurl (blocking): what the remote agent's link needs, no more.
typedef struct {
    long status;          // the HTTP status, 0 when no answer came
    char *body;           // the answer's body (malloc'd, NUL-terminated), free with cc_free
    size_t length;
    char error[256];      // why there was no answer (CURLOPT_ERRORBUFFER)
} cc_response;

/// `bearer` and `body` may be NULL; `ca_file` (PEM) trusts a controller's own certificate.
/// Once, before any thread makes a request: opens libcurl; 0, or -1 with why in `error`.
int cc_global_init(char *error, size_t size);

int cc_request(const char *method, const char *url, const char *bearer, const char *body, size_t body_length,
               double timeout, const char *ca_file, cc_response *out);

void cc_free(cc_response *response);

#endif
