/*
 * sink: the unthrottled local receiver of the benchmarks.  An evhttp
 * server on 127.0.0.1 that accepts every POST as a chat robot would,
 * answering {"errcode":0,"errmsg":"ok"} (success for WeCom, DingTalk and
 * the generic webhook), and counts messages, bytes and the items listed
 * in each generic-webhook event, with the arrival time of the first and
 * the last.  GET /stats answers those counts as JSON.
 *
 * It also takes Prometheus Alertmanager's webhook payload (benchmark (f)):
 * a body with an "alerts" array counts each alert as an item -- but only
 * the first time its fingerprint is seen, since every notification of an
 * Alertmanager group lists all the group's firing alerts again.  For those
 * bodies "alerts" counts every alert listed (repeats included),
 * "am_messages" the notifications, and "complete" is the arrival time of
 * the last one that brought an item not seen before.  "busy" is the
 * seconds the sink spent parsing and counting bodies.
 *
 * A message is answered as soon as its whole body has arrived (that is
 * its arrival time); parsing and counting its items happen afterwards,
 * in a thread under SCHED_IDLE, so that the receiver's own work never
 * delays the sender nor competes with it for a core.  The counts are
 * complete once the queue of bodies has been parsed ("pending" is 0).
 *
 *   sink PORTFILE        listen on a free port, write it to PORTFILE
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

static long long	sink_count, sink_bytes, sink_items;
static double		sink_first, sink_last;

/* Bodies waiting to be parsed, oldest first. */
struct body {
	char		*data;
	size_t		 len;
	double		 at;
	struct body	*next;
};
static struct body	*sink_head, **sink_tail = &sink_head;
static long long	 sink_pending;
static pthread_mutex_t	 sink_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 sink_cv = PTHREAD_COND_INITIALIZER;

/* Alertmanager notifications and the set of fingerprints seen. */
static long long	sink_am_messages, sink_am_alerts;
static double		sink_complete, sink_busy;
static unsigned long long *sink_seen;	/* open addressing; 0 is empty */
static size_t		sink_seen_cap, sink_seen_len;

static double
sink_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Add a fingerprint to the set; 1 if it was not there before. */
static int
sink_seen_add(unsigned long long fp)
{
	unsigned long long	*old = sink_seen;
	size_t			 oldcap = sink_seen_cap, i, j;

	if (fp == 0)
		fp = 1;		/* 0 marks an empty slot */
	if (2 * (sink_seen_len + 1) > sink_seen_cap) {
		sink_seen_cap = oldcap ? 2 * oldcap : 1 << 16;
		if ((sink_seen = calloc(sink_seen_cap, sizeof *sink_seen)) ==
		    NULL) {
			perror("calloc");
			exit(1);
		}
		for (i = 0; i < oldcap; i++) {
			if (old[i] == 0)
				continue;
			j = (size_t)(old[i] * 0x9e3779b97f4a7c15ULL) &
			    (sink_seen_cap - 1);
			while (sink_seen[j] != 0)
				j = (j + 1) & (sink_seen_cap - 1);
			sink_seen[j] = old[i];
		}
		free(old);
	}
	j = (size_t)(fp * 0x9e3779b97f4a7c15ULL) & (sink_seen_cap - 1);
	while (sink_seen[j] != 0) {
		if (sink_seen[j] == fp)
			return (0);
		j = (j + 1) & (sink_seen_cap - 1);
	}
	sink_seen[j] = fp;
	sink_seen_len++;
	return (1);
}

/* An Alertmanager notification: count the alerts not seen before. */
static void
sink_alerts(json_t *alerts, double now)
{
	json_t			*a;
	const char		*fp;
	size_t			 i;
	long long		 fresh = 0;

	sink_am_messages++;
	json_array_foreach(alerts, i, a) {
		sink_am_alerts++;
		fp = json_string_value(json_object_get(a, "fingerprint"));
		if (fp == NULL)
			continue;
		fresh += sink_seen_add(strtoull(fp, NULL, 16));
	}
	if (fresh > 0) {
		sink_items += fresh;
		sink_complete = now;
	}
}

/* The parser thread: counts the items of each body, in arrival order. */
static void *
sink_parser(void *arg)
{
	struct sched_param	 sp;
	struct body		*b;
	json_t			*root, *items, *alerts;
	struct timespec		 c0, c1;

	(void)arg;
	memset(&sp, 0, sizeof sp);
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
		fprintf(stderr, "sink: SCHED_IDLE refused; parsing at normal"
		    " priority\n");
	for (;;) {
		pthread_mutex_lock(&sink_mu);
		while (sink_head == NULL)
			pthread_cond_wait(&sink_cv, &sink_mu);
		b = sink_head;
		if ((sink_head = b->next) == NULL)
			sink_tail = &sink_head;
		pthread_mutex_unlock(&sink_mu);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
		root = json_loadb(b->data, b->len, 0, NULL);
		pthread_mutex_lock(&sink_mu);
		if (json_is_array(alerts = json_object_get(root, "alerts")))
			sink_alerts(alerts, b->at);
		else {
			items = json_object_get(json_object_get(root, "event"),
			    "items");
			sink_items += (long long)json_array_size(items);
		}
		sink_pending--;
		pthread_mutex_unlock(&sink_mu);
		json_decref(root);
		free(b->data);
		free(b);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
		pthread_mutex_lock(&sink_mu);
		sink_busy += (double)(c1.tv_sec - c0.tv_sec) +
		    (c1.tv_nsec - c0.tv_nsec) / 1e9;
		pthread_mutex_unlock(&sink_mu);
	}
	return (NULL);
}

/* Every request: a message (POST) or the counters (GET /stats). */
static void
sink_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	struct evbuffer	*out = evbuffer_new();
	size_t		 len = evbuffer_get_length(in);
	struct body	*b;
	double		 now = sink_now();

	(void)arg;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		pthread_mutex_lock(&sink_mu);
		evbuffer_add_printf(out, "{\"count\":%lld,\"bytes\":%lld,"
		    "\"items\":%lld,\"first\":%.6f,\"last\":%.6f,"
		    "\"am_messages\":%lld,\"alerts\":%lld,\"complete\":%.6f,"
		    "\"busy\":%.6f,\"pending\":%lld}\n", sink_count,
		    sink_bytes, sink_items, sink_first, sink_last,
		    sink_am_messages, sink_am_alerts, sink_complete, sink_busy,
		    sink_pending);
		pthread_mutex_unlock(&sink_mu);
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	b = malloc(sizeof *b);
	if (b == NULL || (b->data = malloc(len ? len : 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	evbuffer_remove(in, b->data, len);
	b->len = len;
	b->at = now;
	b->next = NULL;
	pthread_mutex_lock(&sink_mu);
	if (sink_count++ == 0)
		sink_first = now;
	sink_last = now;
	sink_bytes += (long long)len;
	sink_pending++;
	*sink_tail = b;
	sink_tail = &b->next;
	pthread_cond_signal(&sink_cv);
	pthread_mutex_unlock(&sink_mu);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_printf(out, "{\"errcode\":0,\"errmsg\":\"ok\"}");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

int
main(int argc, char *argv[])
{
	struct event_base		*base;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	struct sockaddr_storage		 ss;
	socklen_t			 sl = sizeof ss;
	FILE				*f;
	pthread_t			 parser;
	int				 port;

	if (argc != 2) {
		fprintf(stderr, "usage: sink PORTFILE\n");
		return (2);
	}
	if (pthread_create(&parser, NULL, sink_parser, NULL) != 0) {
		perror("pthread_create");
		return (1);
	}
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_max_body_size(http, 64 * 1024 * 1024);
	evhttp_set_gencb(http, sink_request, NULL);
	if ((bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) ==
	    NULL) {
		perror("bind");
		return (1);
	}
	getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss,
	    &sl);
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if ((f = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return (1);
	}
	fprintf(f, "%d\n", port);
	fclose(f);
	event_base_dispatch(base);
	return (0);
}
