/*
 * notify.c - webhook notifications (a JSON event per VM that changed,
 * failed or drifted, optionally signed like Flux's generic-hmac provider)
 * and the background poster that sends them with retries.
 *
 * The poster's thread drives one transfer at a time through a curl multi
 * handle, so that stopping can wake it (curl_multi_wakeup) instead of
 * waiting for a timeout.  The reconcile never waits on the network: it only
 * appends to a bounded queue under a mutex.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../schema/util/clock.h"
#include "../../schema/util/error.h"
#include "notify.h"

#define LOGGED_MAX 8

struct post {
	char *url, *body, *key;
	struct curl_slist *headers;
	int attempts;
	double due; /* monotonic seconds */
};

struct vr_poster {
	struct vr_http_options http;
	char *ca_file;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct post *q[VR_POSTER_QUEUE_MAX];
	size_t n;
	bool sending;
	atomic_bool stop;
	CURLM *multi;
	char *logged[LOGGED_MAX]; /* destinations whose failure was logged */
	size_t nlogged;
	size_t enqueued, sent, failed, dropped;
};

static struct timespec
mono_at(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	return ts;
}

static void
post_free(struct post *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->body);
	free(r->key);
	curl_slist_free_all(r->headers);
	free(r);
}

static size_t
discard(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

/* Log the first failure of each destination (scheme://host[:port]). */
static void
log_failure_once(struct vr_poster *p, const char *url, const char *why)
{
	const char *s = strstr(url, "://");
	size_t len, i;
	char *dest;

	s = s ? s + 3 : url;
	len = (size_t)(s - url) + strcspn(s, "/?#");
	dest = vr_strndup(url, len);
	for (i = 0; i < p->nlogged; i++)
		if (strcmp(p->logged[i], dest) == 0) {
			free(dest);
			return;
		}
	if (atomic_load(&p->stop))
		fprintf(stderr, "vmrecon: warning: POST %s: %s\n", url, why);
	else
		fprintf(stderr, "vmrecon: warning: POST %s failed: %s (retried "
		    "in the background; further failures to %s are not "
		    "logged)\n", url, why, dest);
	if (p->nlogged < LOGGED_MAX)
		p->logged[p->nlogged++] = dest;
	else
		free(dest);
}

/* One attempt; 0 if the server answered 2xx.  Runs without the lock. */
static int
post_send(struct vr_poster *p, struct post *r, char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc = CURLE_OK;
	struct CURLMsg *m;
	long status = 0;
	int running = 1, left, rc = -1;
	CURL *h;

	h = curl_easy_init();
	if (!h) {
		snprintf(why, whylen, "cannot start libcurl");
		return -1;
	}
	vr_http_setup(h, &p->http);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* POST: no */
	curl_multi_add_handle(p->multi, h);
	while (running && !atomic_load(&p->stop)) {
		if (curl_multi_perform(p->multi, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(p->multi, NULL, 0, 1000, NULL);
	}
	if (running) {
		snprintf(why, whylen, "not delivered: no answer before "
		    "vmrecon exited");
		goto out;
	}
	while ((m = curl_multi_info_read(p->multi, &left)))
		if (m->msg == CURLMSG_DONE && m->easy_handle == h)
			cc = m->data.result;
	if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(why, whylen, "HTTP %ld", status);
		goto out;
	}
	rc = 0;
out:
	curl_multi_remove_handle(p->multi, h);
	curl_easy_cleanup(h);
	return rc;
}

/* The queued request due first, or -1. */
static long
next_due(struct vr_poster *p)
{
	long best = -1;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (best < 0 || p->q[i]->due < p->q[best]->due)
			best = (long)i;
	return best;
}

static void
queue_remove(struct vr_poster *p, size_t i)
{
	memmove(&p->q[i], &p->q[i + 1], (p->n - i - 1) * sizeof(p->q[0]));
	p->n--;
}

/* Queue a failed request again after its backoff, unless it is out of
 * attempts, stopping, or superseded by a newer one with its key; returns
 * it if it was not queued.  Called with the lock held. */
static struct post *
requeue(struct vr_poster *p, struct post *r)
{
	size_t i;

	for (i = 0; r->key && i < p->n; i++)
		if (p->q[i]->key && strcmp(p->q[i]->key, r->key) == 0)
			return r; /* superseded while in flight */
	if (r->attempts >= VR_POSTER_ATTEMPTS || atomic_load(&p->stop) ||
	    p->n == VR_POSTER_QUEUE_MAX) {
		p->failed++;
		return r;
	}
	r->due = vr_clock_s() + (double)(VR_POSTER_BACKOFF_MS <<
	    (r->attempts - 1)) / 1000.0;
	p->q[p->n++] = r;
	return NULL;
}

static void *
poster_main(void *arg)
{
	struct vr_poster *p = arg;
	char why[CURL_ERROR_SIZE + 64];
	struct post *r;
	long i;

	pthread_mutex_lock(&p->mu);
	while (!atomic_load(&p->stop)) {
		struct timespec at;

		i = next_due(p);
		if (i < 0) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		if (p->q[i]->due > vr_clock_s()) {
			at = mono_at(p->q[i]->due);
			pthread_cond_timedwait(&p->cv, &p->mu, &at);
			continue;
		}
		r = p->q[i];
		queue_remove(p, (size_t)i);
		p->sending = true;
		pthread_mutex_unlock(&p->mu);

		r->attempts++;
		if (post_send(p, r, why, sizeof(why)) == 0) {
			pthread_mutex_lock(&p->mu);
			p->sent++;
		} else {
			pthread_mutex_lock(&p->mu);
			log_failure_once(p, r->url, why);
			r = requeue(p, r);
		}
		post_free(r);
		p->sending = false;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
vr_poster_new(struct vr_poster **out, const struct vr_http_options *http)
{
	struct vr_poster *p = vr_calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	*out = NULL;
	vr_http_global_init();
	if (http) {
		p->ca_file = http->ca_file ? vr_strdup(http->ca_file) : NULL;
		p->http.timeout_ms = http->timeout_ms;
	}
	p->http.ca_file = p->ca_file;
	if (p->http.timeout_ms <= 0)
		p->http.timeout_ms = VR_POSTER_TIMEOUT_MS;
	atomic_init(&p->stop, false);
	p->multi = curl_multi_init();
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (!p->multi || pthread_create(&p->thread, NULL, poster_main, p)) {
		if (p->multi)
			curl_multi_cleanup(p->multi);
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p->ca_file);
		free(p);
		return vr_error_set(VR_ERROR, "cannot start the notification "
		    "thread");
	}
	*out = p;
	return 0;
}

void
vr_poster_enqueue(struct vr_poster *p, const char *url,
    const char *const *headers, size_t nheaders, const char *body,
    const char *key)
{
	struct post *r = vr_calloc(1, sizeof(*r));
	size_t i;

	r->url = vr_strdup(url);
	r->body = vr_strdup(body);
	r->key = key ? vr_strdup(key) : NULL;
	for (i = 0; i < nheaders; i++)
		r->headers = curl_slist_append(r->headers, headers[i]);
	r->due = vr_clock_s();
	pthread_mutex_lock(&p->mu);
	for (i = 0; key && i < p->n; i++)
		if (p->q[i]->key && strcmp(p->q[i]->key, key) == 0) {
			post_free(p->q[i]);
			queue_remove(p, i--);
			p->dropped++;
		}
	if (p->n == VR_POSTER_QUEUE_MAX) {
		post_free(p->q[0]);
		queue_remove(p, 0);
		p->dropped++;
	}
	p->q[p->n++] = r;
	p->enqueued++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
vr_poster_stats(const struct vr_poster *p, size_t *sent, size_t *failed,
    size_t *dropped)
{
	struct vr_poster *mp = (struct vr_poster *)p;

	pthread_mutex_lock(&mp->mu);
	*sent = p->sent;
	*failed = p->failed;
	*dropped = p->dropped;
	pthread_mutex_unlock(&mp->mu);
}

size_t
vr_poster_enqueued(const struct vr_poster *p)
{
	struct vr_poster *mp = (struct vr_poster *)p;
	size_t n;

	pthread_mutex_lock(&mp->mu);
	n = p->enqueued;
	pthread_mutex_unlock(&mp->mu);
	return n;
}

void
vr_poster_free(struct vr_poster *p, long wait_ms)
{
	struct timespec at;
	double deadline;
	size_t i;

	if (!p)
		return;
	deadline = vr_clock_s() + (double)wait_ms / 1000.0;
	at = mono_at(deadline);
	pthread_mutex_lock(&p->mu);
	while ((p->n > 0 || p->sending) && vr_clock_s() < deadline)
		pthread_cond_timedwait(&p->cv, &p->mu, &at);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	curl_multi_wakeup(p->multi);
	pthread_join(p->thread, NULL);
	for (i = 0; i < p->n; i++)
		post_free(p->q[i]);
	for (i = 0; i < p->nlogged; i++)
		free(p->logged[i]);
	curl_multi_cleanup(p->multi);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->ca_file);
	free(p);
}

/* ---- webhook events ---- */

#define SEEN_MAX 256

struct vr_notify {
	struct vr_poster *poster;
	char *url;
	char *key; /* HMAC key, or NULL */
	char host[256];
	/* per VM, the last drifted/pending/failed event sent, so a loop that
	 * finds the same drift every interval notifies it once */
	char *seen_vm[SEEN_MAX], *seen_fp[SEEN_MAX];
	size_t nseen;
};

char *
vr_notify_signature(const char *key, size_t keylen, const char *body,
    size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1] = "";

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)body, len,
	    md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return vr_asprintf("sha256=%s", hex);
}

int
vr_notify_new(struct vr_notify **out, const char *url,
    const char *hmac_key_file, const struct vr_http_options *http)
{
	struct vr_notify *n;
	char *key = NULL;
	int rc;

	*out = NULL;
	if ((rc = vr_http_url_check(url)) < 0)
		return vr_error_wrap(rc, "--notify");
	if (hmac_key_file &&
	    (rc = vr_http_secret_read(&key, hmac_key_file, "HMAC key")) < 0)
		return rc;
	n = vr_calloc(1, sizeof(*n));
	if ((rc = vr_poster_new(&n->poster, http)) < 0) {
		free(key);
		free(n);
		return rc;
	}
	n->url = vr_strdup(url);
	n->key = key;
	if (gethostname(n->host, sizeof(n->host) - 1) < 0)
		snprintf(n->host, sizeof(n->host), "unknown");
	*out = n;
	return 0;
}

void
vr_notify_set_host(struct vr_notify *n, const char *host)
{
	snprintf(n->host, sizeof(n->host), "%s", host);
}

void
vr_notify_send(struct vr_notify *n, const char *vm, const char *revision,
    const char *result, size_t changes, const char *message,
    int64_t pending_until)
{
	const char *hdr[3];
	char when[32], until[32], *body, *sig = NULL, *sighdr = NULL;
	struct tm tm;
	time_t t = time(NULL);
	json_t *doc;
	size_t nh = 0;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	t = (time_t)pending_until;
	if (!pending_until || !gmtime_r(&t, &tm) ||
	    !strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm))
		until[0] = '\0';
	doc = json_pack("{s:s, s:o, s:o, s:s, s:I, s:s, s:s}",
	    "host", n->host,
	    "vm", vm ? json_string(vm) : json_null(),
	    "revision", revision ? json_string(revision) : json_null(),
	    "result", result,
	    "changes", (json_int_t)changes,
	    "message", message ? message : "",
	    "time", when);
	if (until[0])
		json_object_set_new(doc, "pendingUntil", json_string(until));
	body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (!body)
		return; /* not UTF-8: jansson refused a string; nothing sent */
	hdr[nh++] = "Content-Type: application/json";
	if (n->key) {
		sig = vr_notify_signature(n->key, strlen(n->key), body,
		    strlen(body));
		sighdr = vr_asprintf("X-Signature: %s", sig);
		hdr[nh++] = sighdr;
	}
	vr_poster_enqueue(n->poster, n->url, hdr, nh, body, NULL);
	free(sig);
	free(sighdr);
	free(body);
}

/* True if `vm` last had the same event; remembers this one. */
static bool
seen_before(struct vr_notify *n, const char *vm, const char *fp)
{
	size_t i;

	for (i = 0; i < n->nseen; i++)
		if (strcmp(n->seen_vm[i], vm) == 0)
			break;
	if (i < n->nseen) {
		if (fp && strcmp(n->seen_fp[i], fp) == 0)
			return true;
		free(n->seen_fp[i]);
		n->seen_fp[i] = vr_strdup(fp ? fp : "");
		return false;
	}
	if (fp && n->nseen < SEEN_MAX) {
		n->seen_vm[n->nseen] = vr_strdup(vm);
		n->seen_fp[n->nseen++] = vr_strdup(fp);
	}
	return false;
}

void
vr_notify_on_vm(void *ctx, const struct vr_vm_event *ev)
{
	struct vr_notify *n = ctx;
	char *fp = NULL;
	bool repeat;

	if (!n || (ev->changes == 0 && ev->result != VR_RESULT_FAILED &&
	    ev->result != VR_RESULT_DRIFTED))
		return;
	/* something applied is always news; a standing problem once */
	if (ev->applied == 0 && ev->result != VR_RESULT_CONVERGED)
		fp = vr_asprintf("%s|%zu|%s|%s", vr_result_name(ev->result),
		    ev->changes, ev->revision ? ev->revision : "",
		    ev->message ? ev->message : "");
	repeat = seen_before(n, ev->vm, fp);
	free(fp);
	if (repeat)
		return;
	vr_notify_send(n, ev->vm, ev->revision, vr_result_name(ev->result),
	    ev->changes, ev->message, ev->pending && ev->gate &&
	    ev->gate->held ? ev->gate->until : 0);
}

struct vr_poster *
vr_notify_poster(struct vr_notify *n)
{
	return n->poster;
}

void
vr_notify_free(struct vr_notify *n)
{
	if (!n)
		return;
	vr_poster_free(n->poster, VR_NOTIFY_EXIT_WAIT_MS);
	if (n->key) {
		memset(n->key, 0, strlen(n->key));
		free(n->key);
	}
	for (size_t i = 0; i < n->nseen; i++) {
		free(n->seen_vm[i]);
		free(n->seen_fp[i]);
	}
	free(n->url);
	free(n);
}
