/*
 * sink: the unthrottled local receiver of the benchmarks.  An evhttp
 * server on 127.0.0.1 that accepts every POST as a chat robot would,
 * answering {"errcode":0,"errmsg":"ok"} (success for WeCom, DingTalk and
 * the generic webhook), and counts messages, bytes and the items listed
 * in each generic-webhook event, with the arrival time of the first and
 * the last.  GET /stats answers those counts as JSON.
 *
 *   sink PORTFILE        listen on a free port, write it to PORTFILE
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

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

static double
sink_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Every request: a message (POST) or the counters (GET /stats). */
static void
sink_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	struct evbuffer	*out = evbuffer_new();
	size_t		 len = evbuffer_get_length(in);
	json_t		*root, *items;
	double		 now = sink_now();

	(void)arg;
	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		evbuffer_add_printf(out, "{\"count\":%lld,\"bytes\":%lld,"
		    "\"items\":%lld,\"first\":%.6f,\"last\":%.6f}\n", sink_count,
		    sink_bytes, sink_items, sink_first, sink_last);
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	if (sink_count++ == 0)
		sink_first = now;
	sink_last = now;
	sink_bytes += (long long)len;
	root = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, NULL);
	items = json_object_get(json_object_get(root, "event"), "items");
	sink_items += (long long)json_array_size(items);
	json_decref(root);
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
	int				 port;

	if (argc != 2) {
		fprintf(stderr, "usage: sink PORTFILE\n");
		return (2);
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
