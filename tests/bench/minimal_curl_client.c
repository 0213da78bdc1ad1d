/* minimal_curl_client: the peer "any curl-based client" make bench compares
 * our module to. It makes the same two requests as a verify-mode login:
 *
 *   POST {url}/v2/Services/{VA}/Verifications      To=NUMBER&Channel=sms
 *   (reads the code from stdin, as pamtester reads the prompt's answer)
 *   POST {url}/v2/Services/{VA}/VerificationCheck  To=NUMBER&Code=CODE
 *
 * with HTTP basic auth (the account SID, and the auth token read from a
 * file: a secret never goes in argv), the CA file given, and one easy handle
 * for both requests so the connection is reused. Exit 0 only when the check
 * says "approved".
 *
 *   minimal_curl_client URL VERIFY_SID ACCOUNT_SID TOKEN_FILE CA_FILE NUMBER
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reply {
  char *data;
  size_t len;
};

static size_t collect(char *chunk, size_t size, size_t n, void *userdata) {
  struct reply *r = userdata;
  char *grown = realloc(r->data, r->len + size * n + 1);
  if (grown == NULL) return 0; /* curl then fails the transfer */
  memcpy(grown + r->len, chunk, size * n);
  r->len += size * n;
  grown[r->len] = '\0';
  r->data = grown;
  return size * n;
}

/* POSTs `body` to `url` on the handle; the HTTP status, or -1. */
static long post(CURL *curl, const char *url, const char *body, struct reply *r) {
  long status = -1;
  r->len = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    fprintf(stderr, "minimal_curl_client: %s: %s\n", url, curl_easy_strerror(rc));
    return -1;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

/* Whether the JSON reply has "status": "approved" (enough for the stand-in's
 * flat object; no JSON library, as a small client would). */
static int approved(const char *json) {
  const char *p = json ? strstr(json, "\"status\"") : NULL;
  if (p == NULL) return 0;
  p += strlen("\"status\"");
  while (*p == ' ' || *p == ':') p++;
  return strncmp(p, "\"approved\"", 10) == 0;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s URL VERIFY_SID ACCOUNT_SID TOKEN_FILE CA_FILE NUMBER\n", argv[0]);
    return 2;
  }
  const char *base = argv[1], *service = argv[2], *account = argv[3];
  const char *token_file = argv[4], *ca_file = argv[5], *number = argv[6];

  char token[128] = "", code[32] = "";
  FILE *f = fopen(token_file, "r");
  if (f == NULL || fgets(token, sizeof token, f) == NULL) {
    fprintf(stderr, "minimal_curl_client: cannot read %s\n", token_file);
    return 1;
  }
  fclose(f);
  token[strcspn(token, "\r\n")] = '\0';

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *curl = curl_easy_init();
  if (curl == NULL) return 1;
  struct reply r = {NULL, 0};
  curl_easy_setopt(curl, CURLOPT_USERNAME, account);
  curl_easy_setopt(curl, CURLOPT_PASSWORD, token);
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);

  char url[512], body[256];
  char *to = curl_easy_escape(curl, number, 0); /* "+" must be %2B in a form */
  int ok = 0;
  snprintf(url, sizeof url, "%s/v2/Services/%s/Verifications", base, service);
  snprintf(body, sizeof body, "To=%s&Channel=sms", to);
  long status = post(curl, url, body, &r);
  if (status != 201) {
    fprintf(stderr, "minimal_curl_client: send: HTTP %ld\n", status);
    goto done;
  }
  fputs("Verification code: ", stderr);
  if (fgets(code, sizeof code, stdin) == NULL) {
    fprintf(stderr, "\nminimal_curl_client: no code on stdin\n");
    goto done;
  }
  code[strcspn(code, "\r\n")] = '\0';
  char *escaped = curl_easy_escape(curl, code, 0);
  snprintf(url, sizeof url, "%s/v2/Services/%s/VerificationCheck", base, service);
  snprintf(body, sizeof body, "To=%s&Code=%s", to, escaped);
  curl_free(escaped);
  status = post(curl, url, body, &r);
  ok = status == 200 && approved(r.data);
  if (!ok) fprintf(stderr, "\nminimal_curl_client: check: HTTP %ld, not approved\n", status);

done:
  if (ok) printf("approved\n");
  memset(token, 0, sizeof token);
  curl_free(to);
  free(r.data);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  return ok ? 0 : 1;
}
