// The README's journeys through a client generated from docs/openapi.json
// (openapi-typescript types + openapi-fetch). CI type-checks this file with
// tsc --strict: no any, no casts. A mini-program wraps wx.request as fetch.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Booking = components["schemas"]["handler.BookingDTO"];
type ErrorCode = components["schemas"]["handler.ErrorBody"]["code"];

const api = createClient<paths>({ baseUrl: "http://localhost:8080" });

function toast(code: ErrorCode, message: string): void {
  console.log(`[${code}] ${message}`);
}

export async function signIn(openid: string): Promise<string | undefined> {
  const { data, error } = await api.POST("/api/v1/auth/dev/login", { body: { openid } });
  if (error) {
    toast(error.error.code, error.error.message);
    return undefined;
  }
  return data.token;
}

// Booking: a member, an open session, book, read, cancel.
export async function bookAndCancel(token: string): Promise<Booking | undefined> {
  const headers = { Authorization: `Bearer ${token}` };
  const members = await api.GET("/api/v1/me/members", { headers });
  const sessions = await api.GET("/api/v1/sessions", { params: { query: { available: true, limit: 10 } } });
  const member = members.data?.items[0];
  const session = sessions.data?.items[0];
  if (!member || !session) return undefined;
  const startsAt: string = session.starts_at;
  console.log(`booking ${session.service.name} at ${startsAt}`);
  const booked = await api.POST("/api/v1/bookings", {
    headers: { ...headers, "Idempotency-Key": `book-${member.id}-${session.id}` },
    body: { member_id: member.id, session_id: session.id, join_waitlist: true },
  });
  if (booked.error) {
    toast(booked.error.error.code, booked.error.error.message);
    return undefined;
  }
  const cancelled = await api.POST("/api/v1/bookings/{id}/cancel", {
    headers,
    params: { path: { id: booked.data.id } },
    body: { reason: "孩子发烧" },
  });
  return cancelled.data;
}

// Circles: join the first circle, post in it, read its posts.
export async function circles(token: string): Promise<number> {
  const headers = { Authorization: `Bearer ${token}` };
  const list = await api.GET("/api/v1/circles", { headers });
  const circle = list.data?.items[0];
  if (!circle) return 0;
  await api.POST("/api/v1/circles/{id}/join", { headers, params: { path: { id: circle.id } } });
  const post = await api.POST("/api/v1/circles/{id}/posts", {
    headers,
    params: { path: { id: circle.id } },
    body: { content: "宝宝今天会翻身了" },
  });
  if (post.error) toast(post.error.error.code, post.error.error.message);
  const posts = await api.GET("/api/v1/circles/{id}/posts", { headers, params: { path: { id: circle.id } } });
  return posts.data?.items.length ?? 0;
}

// Guidance: articles for a stage, with the token when signed in.
export async function guidance(token?: string): Promise<string[]> {
  const headers = token ? { Authorization: `Bearer ${token}` } : undefined;
  const res = await api.GET("/api/v1/articles", { headers, params: { query: { category: "parenting" } } });
  return res.data?.items.map((a) => a.title) ?? [];
}

// Family-doctor contract, then home medicine delivery.
export async function contractAndDelivery(token: string): Promise<string | undefined> {
  const headers = { Authorization: `Bearer ${token}` };
  const teams = await api.GET("/api/v1/doctor-teams", { headers });
  const members = await api.GET("/api/v1/me/members", { headers });
  const team = teams.data?.items[0];
  const member = members.data?.items[0];
  if (!team || !member) return undefined;
  const contract = await api.POST("/api/v1/family-contracts", { headers, body: { team_id: team.id, member_ids: [member.id] } });
  if (contract.error) {
    toast(contract.error.error.code, contract.error.error.message);
    return undefined;
  }
  const order = await api.POST("/api/v1/medicine-orders", {
    headers,
    body: {
      member_id: member.id,
      items: [{ name: "氨氯地平片", quantity: 2 }],
      address: "城关镇幸福路 1 号",
      contact_phone: "13800000000",
    },
  });
  return order.data?.status;
}
