// The README's journeys through a client generated from docs/openapi.json
// (openapi-typescript types + openapi-fetch): booking, circles, guidance,
// contract and delivery. CI type-checks this file with tsc --strict (no any,
// no casts), compiles it and runs it against a dev server on a fresh
// database with the demo data (.ci/run, run-flows.mjs); each flow asserts
// its outcomes and a failed assertion fails CI. A mini-program wraps
// wx.request as fetch.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Api = ReturnType<typeof createClient<paths>>;
type ErrorResponse = components["schemas"]["handler.ErrorResponse"];
type ErrorCode = components["schemas"]["handler.ErrorBody"]["code"];

export class FlowError extends Error {}

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new FlowError(what);
}

// toast is what a mini-program shows with wx.showToast.
function toast(code: ErrorCode, message: string): string {
  return `[${code}] ${message}`;
}

// must returns the data of a successful answer, or fails the flow with the
// error's code and Chinese message.
function must<T>(res: { data?: T; error?: ErrorResponse; response: Response }, what: string): T {
  if (res.error !== undefined) throw new FlowError(`${what}: ${res.response.status} ${toast(res.error.error.code, res.error.error.message)}`);
  if (res.data === undefined) throw new FlowError(`${what}: ${res.response.status} without a body`);
  return res.data;
}

function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

async function signIn(api: Api, body: components["schemas"]["handler.DevLoginRequest"]): Promise<string> {
  return must(await api.POST("/api/v1/auth/dev/login", { body }), `sign in ${body.openid}`).token;
}

// Booking: a parent adds a child, books an open vaccination session at
// clinic 3, staff of clinic 3 confirm, the parent sees it confirmed with its
// history and a notification.
export async function booking(api: Api, run: string): Promise<string> {
  const parent = bearer(await signIn(api, { openid: `flow-parent-${run}` }));
  const child = must(
    await api.POST("/api/v1/me/members", {
      headers: parent,
      body: { name: "小宝", relation: "child", gender: "female", birth_date: "2025-04-01" },
    }),
    "add a child",
  );
  const sessions = must(
    await api.GET("/api/v1/sessions", { params: { query: { clinic_id: 3, kind: "vaccination", available: true, limit: 1 } } }),
    "open sessions",
  );
  const session = sessions.items[0];
  check(session !== undefined, "no open vaccination session at clinic 3");
  const booked = must(
    await api.POST("/api/v1/bookings", {
      headers: { ...parent, "Idempotency-Key": `flow-book-${run}` },
      body: { session_id: session.id, member_id: child.id },
    }),
    "book",
  );
  check(booked.status === "pending", `booking status ${booked.status}, want pending`);

  const staff = bearer(await signIn(api, { openid: `flow-nurse-${run}`, role: "staff", clinic_id: 3 }));
  const queue = must(await api.GET("/api/v1/staff/bookings", { headers: staff, params: { query: { status: "pending" } } }), "staff queue");
  check(queue.items.some((b) => b.id === booked.id), "the booking is not in clinic 3's pending queue");
  must(await api.POST("/api/v1/staff/bookings/{id}/confirm", { headers: staff, params: { path: { id: booked.id } }, body: {} }), "confirm");

  const seen = must(await api.GET("/api/v1/bookings/{id}", { headers: parent, params: { path: { id: booked.id } } }), "read booking");
  check(seen.status === "confirmed", `booking status ${seen.status}, want confirmed`);
  check(seen.history?.some((h) => h.status === "confirmed" && h.by_role === "staff") === true, "no history step confirmed by staff");
  const notes = must(await api.GET("/api/v1/notifications", { headers: parent }), "notifications");
  check(notes.items.some((n) => n.event === "booking_confirmed" && n.ref_type === "booking" && n.ref_id === booked.id),
    "no booking_confirmed notification");
  return `booking ${booked.id}: ${session.service.name} at ${session.starts_at} confirmed by staff`;
}

// Circles: join 宝妈圈, post (published at once on a dev server without
// WeChat: the local checker), see it in the circle; the review test word
// holds a post for staff.
export async function circles(api: Api, run: string): Promise<string> {
  const mum = bearer(await signIn(api, { openid: `flow-mum-${run}` }));
  const list = must(await api.GET("/api/v1/circles", { headers: mum }), "circles");
  const circle = list.items.find((c) => c.slug === "baoma");
  check(circle !== undefined, "no 宝妈圈 (baoma) circle");
  const path = { path: { id: circle.id } };
  must(await api.POST("/api/v1/circles/{id}/join", { headers: mum, params: path }), "join");
  const post = must(
    await api.POST("/api/v1/circles/{id}/posts", { headers: mum, params: path, body: { content: `宝宝今天会翻身了 ${run}` } }),
    "post",
  );
  check(post.status === "published", `post status ${post.status}, want published`);
  const posts = must(await api.GET("/api/v1/circles/{id}/posts", { headers: mum, params: path }), "circle posts");
  check(posts.items.some((p) => p.id === post.id && p.status === "published"), "the post is not in the circle");
  const held = must(
    await api.POST("/api/v1/circles/{id}/posts", { headers: mum, params: path, body: { content: "这条用来测试复核" } }),
    "post with the review word",
  );
  check(held.status === "pending_review", `review word: status ${held.status}, want pending_review`);
  return `post ${post.id} published in ${circle.name}; post ${held.id} held for review`;
}

// Guidance: parenting articles, one read in full with the token (view
// counted, favorite flag), then kept as a favorite.
export async function guidance(api: Api, run: string): Promise<string> {
  const reader = bearer(await signIn(api, { openid: `flow-reader-${run}` }));
  const list = must(await api.GET("/api/v1/articles", { headers: reader, params: { query: { category: "parenting" } } }), "articles");
  const first = list.items[0];
  check(first !== undefined, "no parenting article");
  const article = must(await api.GET("/api/v1/articles/{id}", { headers: reader, params: { path: { id: first.id } } }), "read article");
  check(article.status === "published" && article.body.length > 0, "the article has no body");
  check(!article.favorited, "a new reader's article is already a favorite");
  const fav = must(await api.POST("/api/v1/articles/{id}/favorite", { headers: reader, params: { path: { id: article.id } } }), "favorite");
  check(fav.favorited, "favorite not kept");
  return `article ${article.id} read: ${article.title}`;
}

// Family-doctor contract and medicine delivery: a daughter signs her father
// up with team 1 (clinic 3), staff approve; she orders his medicines, an
// admin approves (pharmacists and admins only), staff dispatch, and at the door her hand-over code completes it (a
// wrong code first: 422 with tries left).
export async function contractAndDelivery(api: Api, run: string): Promise<string> {
  const daughter = bearer(await signIn(api, { openid: `flow-daughter-${run}` }));
  const staff = bearer(await signIn(api, { openid: `flow-staff-${run}`, role: "staff", clinic_id: 3 }));
  const teams = must(await api.GET("/api/v1/doctor-teams", { params: { query: { clinic_id: 3 } } }), "teams");
  const team = teams.items[0];
  check(team !== undefined, "no doctor team at clinic 3");
  const dad = must(
    await api.POST("/api/v1/me/members", {
      headers: daughter,
      body: { name: "李大爷", relation: "parent", gender: "male", birth_date: "1952-03-08", chronic_conditions: ["高血压", "2型糖尿病"] },
    }),
    "add father",
  );
  const applied = must(
    await api.POST("/api/v1/family-contracts", {
      headers: { ...daughter, "Idempotency-Key": `flow-contract-${run}` },
      body: { team_id: team.id, member_ids: [dad.id] },
    }),
    "apply",
  );
  check(applied.status === "pending", `contract status ${applied.status}, want pending`);
  const signed = must(
    await api.POST("/api/v1/staff/family-contracts/{id}/approve", { headers: staff, params: { path: { id: applied.id } } }),
    "approve contract",
  );
  check(signed.status === "active", `contract status ${signed.status}, want active`);

  const order = must(
    await api.POST("/api/v1/medicine-orders", {
      headers: { ...daughter, "Idempotency-Key": `flow-order-${run}` },
      body: {
        member_id: dad.id,
        items: [{ name: "苯磺酸氨氯地平片", spec: "5mg*28片", quantity: 2 }],
        address: "石桥镇柳树村三组12号",
        contact_phone: "13912345678",
        preferred_window: "工作日下午",
      },
    }),
    "order medicines",
  );
  check(order.status === "requested", `order status ${order.status}, want requested`);
  const id = { path: { id: order.id } };
  // Only a pharmacist (or an admin) approves an order: clinic staff get 403.
  const plain = await api.POST("/api/v1/staff/medicine-orders/{id}/approve", { headers: staff, params: id });
  check(plain.response.status === 403 && plain.error?.error.code === "pharmacist_required", "staff who are not pharmacists approved an order");
  const admin = bearer(await signIn(api, { openid: `flow-admin-${run}`, role: "admin" }));
  must(await api.POST("/api/v1/staff/medicine-orders/{id}/approve", { headers: admin, params: id }), "approve order");
  const eta = new Date(Date.now() + 3 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const sent = must(
    await api.POST("/api/v1/staff/medicine-orders/{id}/dispatch", { headers: staff, params: id, body: { courier: "孙梅", eta } }),
    "dispatch",
  );
  check(sent.status === "dispatched", `order status ${sent.status}, want dispatched`);

  const mine = must(await api.GET("/api/v1/medicine-orders/{id}", { headers: daughter, params: id }), "read order");
  const code = mine.handover_code;
  check(code !== undefined && code.length === 6, "the resident sees no hand-over code");
  const wrong = code === "000000" ? "111111" : "000000";
  const refused = await api.POST("/api/v1/staff/medicine-orders/{id}/deliver", { headers: staff, params: id, body: { handover_code: wrong } });
  check(refused.response.status === 422 && refused.error?.error.code === "handover_code_mismatch", "a wrong code was not refused with 422");
  const done = must(
    await api.POST("/api/v1/staff/medicine-orders/{id}/deliver", { headers: staff, params: id, body: { handover_code: code } }),
    "deliver",
  );
  check(done.status === "delivered", `order status ${done.status}, want delivered`);
  return `contract ${signed.id} active; order ${done.id} handed over`;
}

// runAll drives every flow against baseUrl; it throws on the first failure.
export async function runAll(baseUrl: string, log: (line: string) => void): Promise<void> {
  const api = createClient<paths>({ baseUrl });
  const run = Date.now().toString(36);
  const flows: [string, (api: Api, run: string) => Promise<string>][] = [
    ["booking", booking],
    ["circles", circles],
    ["guidance", guidance],
    ["contract and delivery", contractAndDelivery],
  ];
  for (const [name, flow] of flows) {
    log(`ok  ${name}: ${await flow(api, run)}`);
  }
}
