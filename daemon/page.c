/*
 * The pages of signed action links and of the board: server-rendered
 * HTML in Chinese for a phone's in-app browser, with a mobile viewport,
 * inline CSS, no script and no external asset.  Pure: everything a page
 * shows comes in as arguments (times as instants, "now" included); the
 * text is escaped here and nowhere else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

static const char page_css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;background:#f2f3f5;color:#1f2329;font:16px/1.55"
	" -apple-system,'PingFang SC','Hiragino Sans GB','Noto Sans CJK SC',"
	"'Microsoft YaHei','WenQuanYi Micro Hei',sans-serif;-webkit-text-size-adjust:100%}"
	"header{background:#1f4e8c;color:#fff;padding:14px 16px}"
	"header h1{margin:0;font-size:19px;font-weight:600}"
	"header p{margin:2px 0 0;font-size:13px;opacity:.85}"
	"main{max-width:720px;margin:0 auto;padding:12px}"
	".card{background:#fff;border-radius:10px;padding:14px 16px;"
	"margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}"
	".card h2{margin:0 0 10px;font-size:17px}"
	"dl{margin:0;display:grid;grid-template-columns:5.5em 1fr;gap:6px 10px}"
	"dt{color:#646a73}dd{margin:0;word-break:break-all}"
	".late{color:#d83931;font-weight:600}.ok{color:#2ea121}"
	".warn{color:#de7802}"
	"ul.h{list-style:none;margin:0;padding:0}"
	"ul.h li{padding:6px 0;border-top:1px solid #eef0f2;font-size:14px}"
	"ul.h li:first-child{border-top:0}"
	"ul.h time{color:#8f959e;margin-right:6px}"
	"label{display:block;margin:10px 0 4px;color:#444}"
	"input[type=text],input[type=date],textarea{width:100%;font:inherit;"
	"padding:10px;border:1px solid #c9cdd4;border-radius:8px;background:#fff}"
	"textarea{min-height:110px}"
	"button,.btn{display:block;width:100%;margin:14px 0 0;padding:13px;"
	"font:inherit;font-weight:600;text-align:center;text-decoration:none;"
	"color:#fff;background:#1f6feb;border:0;border-radius:8px}"
	".btn.alt{background:#fff;color:#1f6feb;border:1px solid #1f6feb}"
	"button.no{background:#d83931}"
	".msg{padding:12px 14px;border-radius:8px;margin:0 0 12px}"
	".msg.err{background:#fdecea;color:#a8071a}"
	".msg.good{background:#e8f7ea;color:#1a6b25}"
	".note{font-size:13px;color:#8f959e}"
	"table{width:100%;border-collapse:collapse;font-size:14px}"
	"th,td{text-align:left;padding:6px 4px;border-top:1px solid #eef0f2}"
	"th{color:#646a73;font-weight:500;white-space:nowrap}"
	"td.n{text-align:right}td.n,td.nw{white-space:nowrap}"
	".dot{display:inline-block;width:10px;height:10px;border-radius:50%;"
	"margin-right:4px;vertical-align:middle}"
	".g{background:#2ea121}.y{background:#f5a623}.r{background:#d83931}"
	".scroll{overflow-x:auto}"
	"svg{width:100%;max-width:640px;height:auto;display:block}"
	"@media(min-width:800px){main{padding:20px}}";

/* Append text escaped for HTML (NULL as ""). */
static void
page_esc(struct jsonbuf *b, const char *s)
{
	const char	*p;

	for (p = s; p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '<':
			jsonbuf_puts(b, "&lt;");
			break;
		case '>':
			jsonbuf_puts(b, "&gt;");
			break;
		case '&':
			jsonbuf_puts(b, "&amp;");
			break;
		case '"':
			jsonbuf_puts(b, "&quot;");
			break;
		case '\'':
			jsonbuf_puts(b, "&#39;");
			break;
		default:
			jsonbuf_put(b, p, 1);
		}
	}
}

/* Append formatted raw HTML (the arguments are not escaped: callers
 * pass numbers and their own literals). */
static void PRINTFLIKE(2, 3)
page_raw(struct jsonbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	jsonbuf_puts(b, s);
	free(s);
}

/* A time as "2026-12-05 09:30" ("—" for 0). */
static void
page_time(struct jsonbuf *b, int64_t t)
{
	char	 buf[32];

	if (t <= 0) {
		jsonbuf_puts(b, "—");
		return;
	}
	rules_format(t, buf, sizeof buf);
	buf[16] = '\0';
	page_esc(b, buf);
}

/* The head of every page, the header bar and the opening of main. */
static void
page_head(struct jsonbuf *b, const char *title, const char *sub)
{
	jsonbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width,"
	    "initial-scale=1\">"
	    "<meta name=\"robots\" content=\"noindex\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	page_esc(b, title);
	jsonbuf_puts(b, "</title><style>");
	jsonbuf_puts(b, page_css);
	jsonbuf_puts(b, "</style></head><body><header><h1>");
	page_esc(b, title);
	jsonbuf_puts(b, "</h1>");
	if (sub != NULL) {
		jsonbuf_puts(b, "<p>");
		page_esc(b, sub);
		jsonbuf_puts(b, "</p>");
	}
	jsonbuf_puts(b, "</header><main>");
}

static char *
page_tail(struct jsonbuf *b)
{
	jsonbuf_puts(b, "<p class=\"note\">审批事项督办 · approval-escalatord"
	    "</p></main></body></html>\n");
	return (b->p);
}

/* A page with one plain sentence: an error or a result. */
char *
page_message(const char *title, const char *msg, int good)
{
	struct jsonbuf	 b;

	memset(&b, 0, sizeof b);
	page_head(&b, title, NULL);
	page_raw(&b, "<div class=\"msg %s\">", good ? "good" : "err");
	page_esc(&b, msg);
	jsonbuf_puts(&b, "</div>");
	return (page_tail(&b));
}

/* The item card: project, item, department, deadline, stage, history. */
static void
page_item_card(struct jsonbuf *b, const struct page_view *v)
{
	const struct item_row	*it = v->item;
	size_t			 i;

	jsonbuf_puts(b, "<section class=\"card\"><h2>");
	page_esc(b, it->project_name ? it->project_name : it->project_code);
	jsonbuf_puts(b, "</h2><dl><dt>项目编号</dt><dd>");
	page_esc(b, it->project_code);
	jsonbuf_puts(b, "</dd><dt>审批事项</dt><dd>");
	page_esc(b, it->kind);
	jsonbuf_puts(b, "</dd><dt>承办部门</dt><dd>");
	page_esc(b, it->department);
	if (v->handler != NULL && *v->handler != '\0') {
		jsonbuf_puts(b, "</dd><dt>承办人</dt><dd>");
		page_esc(b, v->handler);
	}
	jsonbuf_puts(b, "</dd><dt>办理时限</dt><dd>");
	page_time(b, it->due_at);
	if (v->overdue > 0)
		page_raw(b, " <span class=\"late\">已超期%d个工作日</span>",
		    v->overdue);
	else if (it->due_at > 0 && v->days_left >= 0)
		page_raw(b, " <span class=\"%s\">剩%d个工作日</span>",
		    v->days_left <= 2 ? "warn" : "ok", v->days_left);
	jsonbuf_puts(b, "</dd><dt>当前阶段</dt><dd>");
	page_esc(b, v->stage_label ? v->stage_label : "—");
	if (strcmp(it->status, STATUS_SUSPENDED) == 0) {
		jsonbuf_puts(b, "（已中止计时：");
		page_esc(b, it->suspend_reason);
		jsonbuf_puts(b, "）");
	}
	jsonbuf_puts(b, "</dd><dt>签收</dt><dd>");
	jsonbuf_puts(b, v->acked ? "<span class=\"ok\">已签收</span>" :
	    "<span class=\"warn\">未签收</span>");
	if (v->feedback != NULL) {
		jsonbuf_puts(b, "</dd><dt>最新反馈</dt><dd>");
		page_esc(b, v->feedback);
		jsonbuf_puts(b, " <span class=\"note\">");
		page_time(b, v->feedback_at);
		jsonbuf_puts(b, "</span>");
	}
	jsonbuf_puts(b, "</dd></dl></section>");
	if (v->nhist == 0)
		return;
	jsonbuf_puts(b, "<section class=\"card\"><h2>最近记录</h2><ul class=\"h\">");
	for (i = 0; i < v->nhist; i++) {
		jsonbuf_puts(b, "<li><time>");
		page_time(b, v->hist[i].at);
		jsonbuf_puts(b, "</time>");
		page_esc(b, v->hist[i].text);
		jsonbuf_puts(b, "</li>");
	}
	jsonbuf_puts(b, "</ul></section>");
}

/* The name field every form has. */
static void
page_name_field(struct jsonbuf *b, const struct page_view *v)
{
	page_raw(b, "<label for=\"name\">您的姓名（%s）</label>"
	    "<input type=\"text\" id=\"name\" name=\"name\" maxlength=\"20\""
	    " required autocomplete=\"name\" value=\"", "必填");
	page_esc(b, v->name);
	jsonbuf_puts(b, "\">");
}

/* The page of a link: the item and either the menu of its actions
 * (action 0) or the one form of an action. */
char *
page_item(const struct page_view *v)
{
	struct jsonbuf	 b;
	static const unsigned menu[] = { LINK_ACK, LINK_PROGRESS, LINK_DONE,
	    LINK_STOP };
	char		 today[11], *sub;
	size_t		 i;
	int32_t		 day;

	memset(&b, 0, sizeof b);
	xasprintf(&sub, "发给：%s", v->role ? v->role : "未指定");
	page_head(&b, v->action ? link_action_label(v->action) :
	    (v->link_actions & LINK_DECIDE) ? "中止计时申请审核" : "事项督办",
	    sub);
	free(sub);
	if (v->error != NULL) {
		jsonbuf_puts(&b, "<div class=\"msg err\" role=\"alert\">");
		page_esc(&b, v->error);
		jsonbuf_puts(&b, "</div>");
	}
	page_item_card(&b, v);
	if (v->link_actions & LINK_DECIDE) {
		jsonbuf_puts(&b, "<section class=\"card\"><h2>中止计时申请</h2>"
		    "<dl><dt>申请人</dt><dd>");
		page_esc(&b, v->request_actor);
		jsonbuf_puts(&b, "</dd><dt>理由</dt><dd>");
		page_esc(&b, v->request_note);
		jsonbuf_puts(&b, "</dd><dt>申请时间</dt><dd>");
		page_time(&b, v->request_at);
		jsonbuf_puts(&b, "</dd></dl><form method=\"post\""
		    " action=\"?do=decide\">");
		page_raw(&b, "<input type=\"hidden\" name=\"csrf\""
		    " value=\"%s\">", v->csrf);
		page_name_field(&b, v);
		jsonbuf_puts(&b, "<button type=\"submit\" name=\"decision\""
		    " value=\"approve\">同意中止计时</button>"
		    "<button type=\"submit\" name=\"decision\" value=\"reject\""
		    " class=\"no\">不同意</button></form></section>");
		return (page_tail(&b));
	}
	if (v->action == 0) {
		jsonbuf_puts(&b, "<section class=\"card\"><h2>请选择办理事项"
		    "</h2>");
		for (i = 0; i < sizeof menu / sizeof menu[0]; i++) {
			if ((v->link_actions & menu[i]) == 0)
				continue;
			page_raw(&b, "<a class=\"btn%s\" href=\"?do=%s\">%s</a>",
			    i == 0 ? "" : " alt", link_action_name(menu[i]),
			    link_action_label(menu[i]));
		}
		jsonbuf_puts(&b, "<p class=\"note\">签收后当日不再重复催办；"
		    "反馈进展视为有进展；中止计时须经组长同意。</p></section>");
		return (page_tail(&b));
	}
	page_raw(&b, "<section class=\"card\"><h2>%s</h2><form method=\"post\""
	    " action=\"?do=%s\"><input type=\"hidden\" name=\"csrf\""
	    " value=\"%s\">", link_action_label(v->action),
	    link_action_name(v->action), v->csrf);
	page_name_field(&b, v);
	switch (v->action) {
	case LINK_ACK:
		jsonbuf_puts(&b, "<p class=\"note\">确认已收到本次督办通知。"
		    "</p>");
		break;
	case LINK_PROGRESS:
		jsonbuf_puts(&b, "<label for=\"note\">办理进展（必填）</label>"
		    "<textarea id=\"note\" name=\"note\" maxlength=\"600\""
		    " required placeholder=\"如：已完成现场勘验，拟于本周内出具意见\">");
		page_esc(&b, v->note);
		jsonbuf_puts(&b, "</textarea>");
		break;
	case LINK_DONE:
		rules_split(v->now, &day, NULL);
		calendar_format_date(day, today);
		page_raw(&b, "<label for=\"date\">办结日期</label><input"
		    " type=\"date\" id=\"date\" name=\"date\" max=\"%s\""
		    " value=\"%s\" required>", today, today);
		jsonbuf_puts(&b, "<label for=\"note\">备注（可选）</label>"
		    "<textarea id=\"note\" name=\"note\" maxlength=\"600\">");
		page_esc(&b, v->note);
		jsonbuf_puts(&b, "</textarea>");
		break;
	case LINK_STOP:
		jsonbuf_puts(&b, "<label for=\"note\">中止计时理由（必填）</label>"
		    "<textarea id=\"note\" name=\"note\" maxlength=\"600\""
		    " required placeholder=\"如：补正材料、专家评审、公示\">");
		page_esc(&b, v->note);
		jsonbuf_puts(&b, "</textarea><p class=\"note\">申请将发送至组长"
		    "审核，同意后方中止计时。</p>");
		break;
	}
	page_raw(&b, "<button type=\"submit\">提交%s</button></form>"
	    "<a class=\"btn alt\" href=\"?\">返回</a></section>",
	    link_action_label(v->action));
	return (page_tail(&b));
}

/* A light: 0 green, 1 yellow, 2 red. */
static void
page_light(struct jsonbuf *b, int light)
{
	static const char *const cls[] = { "g", "y", "r" };
	static const char *const name[] = { "正常", "临期", "超期" };

	if (light < 0 || light > 2)
		light = 0;
	page_raw(b, "<span class=\"dot %s\" title=\"%s\"></span>", cls[light],
	    name[light]);
}

/* A table of counts per group or department. */
static void
page_board_rows(struct jsonbuf *b, const char *title, const char *col,
    const struct page_board_row *r, size_t n)
{
	size_t	 i;

	page_raw(b, "<section class=\"card\"><h2>%s</h2><div class=\"scroll\">"
	    "<table><tr><th>%s</th><th>在办</th><th>本周</th><th>超期</th>"
	    "<th>灯</th></tr>", title, col);
	for (i = 0; i < n; i++) {
		jsonbuf_puts(b, "<tr><td>");
		page_esc(b, r[i].name);
		page_raw(b, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
		    "<td class=\"n%s\">%d", r[i].open, r[i].week,
		    r[i].overdue > 0 ? " late" : "", r[i].overdue);
		page_raw(b, "</td><td class=\"nw\">"
		    "<span class=\"dot g\"></span>%d "
		    "<span class=\"dot y\"></span>%d "
		    "<span class=\"dot r\"></span>%d</td></tr>", r[i].green,
		    r[i].yellow, r[i].red);
	}
	if (n == 0)
		jsonbuf_puts(b, "<tr><td colspan=\"5\">暂无在办事项</td></tr>");
	jsonbuf_puts(b, "</table></div></section>");
}

/* A list of items with their lights. */
static void
page_board_items(struct jsonbuf *b, const char *title,
    const struct page_board_item *v, size_t n, size_t total)
{
	size_t	 i;

	page_raw(b, "<section class=\"card\"><h2>%s</h2><div class=\"scroll\">"
	    "<table><tr><th>灯</th><th>项目｜事项</th><th>部门</th><th>时限</th>"
	    "<th>签收</th></tr>", title);
	for (i = 0; i < n; i++) {
		jsonbuf_puts(b, "<tr><td>");
		page_light(b, v[i].light);
		jsonbuf_puts(b, "</td><td>");
		page_esc(b, v[i].item->project_name ? v[i].item->project_name :
		    v[i].item->project_code);
		jsonbuf_puts(b, "｜");
		page_esc(b, v[i].item->kind);
		if (v[i].feedback != NULL) {
			jsonbuf_puts(b, "<br><span class=\"note\">反馈：");
			page_esc(b, v[i].feedback);
			jsonbuf_puts(b, "</span>");
		}
		jsonbuf_puts(b, "</td><td>");
		page_esc(b, v[i].item->department);
		jsonbuf_puts(b, "</td><td class=\"nw\">");
		if (v[i].overdue > 0)
			page_raw(b, "<span class=\"late\">超%d日</span>",
			    v[i].overdue);
		else if (v[i].item->due_at > 0) {
			char d[32];
			rules_format(v[i].item->due_at, d, sizeof d);
			d[10] = '\0';
			page_esc(b, d);
		}
		page_raw(b, "</td><td class=\"nw\">%s</td></tr>", v[i].acked ?
		    "<span class=\"ok\">已签收</span>" :
		    "<span class=\"warn\">未签收</span>");
	}
	if (n == 0)
		jsonbuf_puts(b, "<tr><td colspan=\"5\">无</td></tr>");
	jsonbuf_puts(b, "</table></div>");
	if (total > n)
		page_raw(b, "<p class=\"note\">另有%zu项未列出。</p>", total - n);
	jsonbuf_puts(b, "</section>");
}

/* The chart: overdue items per department at the end of each of the
 * last PAGE_WEEKS weeks, one line per department, drawn as SVG. */
static void
page_board_chart(struct jsonbuf *b, const struct page_board *bd)
{
	static const char *const color[] = { "#d83931", "#1f6feb", "#f5a623",
	    "#2ea121", "#8e44ad", "#16a2b8", "#6b4f1d", "#e83e8c" };
	const int	 W = 360, H = 220, L = 26, R = 18, T = 10, B = 28;
	int		 max = 1, i, x, y, step;
	size_t		 k;
	char		 d[11];
	int		 yy, mm, dd;

	for (k = 0; k < bd->nseries; k++)
		for (i = 0; i < PAGE_WEEKS; i++)
			if (bd->counts[k * PAGE_WEEKS + i] > max)
				max = bd->counts[k * PAGE_WEEKS + i];
	step = max <= 5 ? 1 : (max + 4) / 5;
	max = ((max + step - 1) / step) * step;
	jsonbuf_puts(b, "<section class=\"card\"><h2>近八周各部门超期事项数"
	    "</h2>");
	page_raw(b, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"近八周"
	    "各部门超期事项数\" xmlns=\"http://www.w3.org/2000/svg\""
	    " font-size=\"11\" font-family=\"sans-serif\">", W, H);
	for (i = 0; i <= max; i += step) {
		y = T + (H - T - B) * (max - i) / max;
		page_raw(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\""
		    " stroke=\"#e5e6eb\"/><text x=\"%d\" y=\"%d\""
		    " text-anchor=\"end\" fill=\"#8f959e\">%d</text>", L, y,
		    W - R, y, L - 6, y + 4, i);
	}
	for (i = 0; i < PAGE_WEEKS; i++) {
		x = L + (W - L - R) * i / (PAGE_WEEKS - 1);
		calendar_civil(bd->week_days[i], &yy, &mm, &dd);
		snprintf(d, sizeof d, "%d/%d", mm, dd);
		page_raw(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\""
		    " fill=\"#646a73\">%s</text>", x, H - B + 18, d);
	}
	for (k = 0; k < bd->nseries; k++) {
		page_raw(b, "<polyline fill=\"none\" stroke=\"%s\""
		    " stroke-width=\"2\" points=\"", color[k % 8]);
		for (i = 0; i < PAGE_WEEKS; i++) {
			x = L + (W - L - R) * i / (PAGE_WEEKS - 1);
			y = T + (H - T - B) * (max - bd->counts[k * PAGE_WEEKS +
			    i]) / max;
			page_raw(b, "%s%d,%d", i ? " " : "", x, y);
		}
		jsonbuf_puts(b, "\"/>");
		for (i = 0; i < PAGE_WEEKS; i++) {
			x = L + (W - L - R) * i / (PAGE_WEEKS - 1);
			y = T + (H - T - B) * (max - bd->counts[k * PAGE_WEEKS +
			    i]) / max;
			page_raw(b, "<circle cx=\"%d\" cy=\"%d\" r=\"3\""
			    " fill=\"%s\"/>", x, y, color[k % 8]);
		}
	}
	jsonbuf_puts(b, "</svg><p class=\"note\">");
	for (k = 0; k < bd->nseries; k++) {
		page_raw(b, "<span style=\"color:%s\">●</span> ", color[k % 8]);
		page_esc(b, bd->series[k]);
		jsonbuf_puts(b, "　");
	}
	if (bd->nseries == 0)
		jsonbuf_puts(b, "近八周没有超期事项。");
	jsonbuf_puts(b, "</p></section>");
}

/* The board: counts per group and department, the longest overdue
 * items, recent feedback, the eight-week chart and every open item's
 * light. */
char *
page_board(const struct page_board *bd)
{
	struct jsonbuf	 b;
	size_t		 i;
	char		 sub[64];

	memset(&b, 0, sizeof b);
	rules_format(bd->now, sub, sizeof sub);
	sub[16] = '\0';
	page_head(&b, "审批事项督办看板", sub);
	page_raw(&b, "<section class=\"card\"><dl><dt>在办</dt><dd>%d</dd>"
	    "<dt>本周到期</dt><dd>%d</dd><dt>超期</dt><dd class=\"%s\">%d</dd>"
	    "</dl></section>", bd->total.open, bd->total.week,
	    bd->total.overdue ? "late" : "ok", bd->total.overdue);
	page_board_rows(&b, "各推进组", "推进组", bd->groups, bd->ngroups);
	page_board_rows(&b, "各承办部门", "部门", bd->depts, bd->ndepts);
	page_board_items(&b, "超期最久的事项", bd->late, bd->nlate, bd->nlate);
	page_board_chart(&b, bd);
	jsonbuf_puts(&b, "<section class=\"card\"><h2>最近反馈</h2>"
	    "<ul class=\"h\">");
	for (i = 0; i < bd->nnotes; i++) {
		jsonbuf_puts(&b, "<li><time>");
		page_time(&b, bd->notes[i].at);
		jsonbuf_puts(&b, "</time>");
		page_esc(&b, bd->notes[i].what);
		jsonbuf_puts(&b, "</li>");
	}
	if (bd->nnotes == 0)
		jsonbuf_puts(&b, "<li>近两周没有反馈。</li>");
	jsonbuf_puts(&b, "</ul></section>");
	page_board_items(&b, "全部在办事项", bd->items, bd->nitems,
	    bd->nitems_total);
	return (page_tail(&b));
}

/* The board's login: the API token, posted once for a session. */
char *
page_board_login(const char *error)
{
	struct jsonbuf	 b;

	memset(&b, 0, sizeof b);
	page_head(&b, "审批事项督办看板", "登录");
	if (error != NULL) {
		jsonbuf_puts(&b, "<div class=\"msg err\" role=\"alert\">");
		page_esc(&b, error);
		jsonbuf_puts(&b, "</div>");
	}
	jsonbuf_puts(&b, "<section class=\"card\"><form method=\"post\""
	    " action=\"/board/login\"><label for=\"token\">访问令牌</label>"
	    "<input type=\"text\" id=\"token\" name=\"token\" required"
	    " autocomplete=\"off\"><button type=\"submit\">登录</button></form>"
	    "<p class=\"note\">也可直接打开专班发送的看板链接。</p></section>");
	return (page_tail(&b));
}
