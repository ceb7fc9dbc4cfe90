package handler_test

import (
	"net/http"
	"time"
)

// The security suite is generated from the route table: every /api/v1
// route the engine serves must be classified in secRoutes, so a new route
// cannot skip the cross-user, cross-clinic, role and hostile-input checks.

// secClass says who may call a route and whose objects its :id names.
type secClass string

const (
	// secPublic: no token needed (a token, when sent, must be valid).
	secPublic secClass = "public"
	// secSelf: signed in; acts on the caller's own account and names no
	// object of anyone else.
	secSelf secClass = "self"
	// secOwned: :id names an object a resident owns; anyone else's id is 404
	// for every verb and changes nothing.
	secOwned secClass = "owned"
	// secShared: :id names a network-wide object (circle, post, article) any
	// signed-in user may see; the caller acts on their own relation to it.
	// What only its author or staff may see (hidden) is 404 for others.
	secShared secClass = "shared"
	// secClinic: staff; :id names an object of one clinic; staff of another
	// clinic get 404 and change nothing.
	secClinic secClass = "clinic"
	// secClinicList: staff; no :id; lists or creates within the caller's
	// clinic only.
	secClinicList secClass = "clinic-list"
	// secNetwork: staff; network-wide on purpose (why says why).
	secNetwork secClass = "network"
	// secAdmin: admin only; residents and staff get 403.
	secAdmin secClass = "admin"
)

// secRoute classifies one route and holds its fixtures.
type secRoute struct {
	class secClass
	// fixture names the object :id stands for when its legitimate caller
	// calls it (and, for owned and clinic routes, when someone else does).
	fixture string
	// hidden (shared and public routes) names an object the other resident
	// may not see: :id of it is 404 and changes nothing.
	hidden string
	// body is a valid JSON body for routes that read one.
	body func(w *secWorld) map[string]any
	// optional: an empty body ({}) is a valid request.
	optional bool
	// as overrides the legitimate caller (owner, other, staff3, admin, none).
	as string
	// crossQuery / crossBody (clinic-list): the call staff of clinic 2 make
	// about clinic 3; crossStatus is the expected answer (0: any 4xx).
	crossQuery  string
	crossBody   func(w *secWorld) map[string]any
	crossStatus int
	// foreign (self routes): the sample body names the owner's objects (a
	// member), so another resident sending it gets 404 and changes nothing.
	foreign bool
	// signIn: a sign-in route, which reads no token at all.
	signIn bool
	why    string
}

const secMarker = "SECRET-A-秘密"

// secStaffOrder is a phone order for the covered elder.
func secStaffOrder(w *secWorld) map[string]any {
	b := mdBody(w.ids["elder"])
	b["requested_via"] = "phone"
	return b
}

// secReason is the body of the routes that take an optional reason.
var secReason = secBody(map[string]any{"reason": "测试原因"})

func secBody(m map[string]any) func(*secWorld) map[string]any {
	return func(*secWorld) map[string]any { return m }
}

const (
	whyModeration      = "circles belong to no clinic: every staff member moderates every circle (handler/circle_staff.go)"
	whyCircle          = "circles are open to every signed-in user; join, leave and posting act on the caller's own membership"
	whyImageModeration = "images, like circles, belong to no clinic: every staff member decides the images WeChat hands to a human"
	whyManager         = "a clinic's manager (and admins) add and edit its services; other staff get 403 manager_required"
	whyCatalogue       = "the catalogue (clinics, experts, outreach teams, services, sessions, doctor teams) is public"
)

var secRoutes = map[string]secRoute{
	// Auth and profile.
	"POST /api/v1/auth/wechat/login":  {class: secPublic, signIn: true, why: "signing in", body: secBody(map[string]any{"code": "code-sec"})},
	"POST /api/v1/auth/dev/login":     {class: secPublic, signIn: true, why: "signing in (dev only)", body: secBody(map[string]any{"openid": "sec-dev", "role": "resident"})},
	"POST /api/v1/auth/refresh":       {class: secSelf},
	"POST /api/v1/me/phone":           {class: secSelf, body: secBody(map[string]any{"code": "phone-13800000000"})},
	"GET /api/v1/me":                  {class: secSelf},
	"GET /api/v1/me/export":           {class: secSelf},
	"POST /api/v1/uploads":            {class: secSelf, why: "an upload belongs to its uploader; multipart, so the JSON probes get 400 bad_multipart"},
	"GET /api/v1/subscribe-templates": {class: secPublic, why: "template ids are public configuration"},
	"GET /api/v1/wechat/push":         {class: secPublic, signIn: true, why: "WeChat's message push: authenticated by its signature (TestPush_*), not a token"},
	"POST /api/v1/wechat/push":        {class: secPublic, signIn: true, why: "WeChat's message push: authenticated by its signature (TestPush_*), not a token"},
	"DELETE /api/v1/me":               {class: secSelf},
	"PUT /api/v1/me":                  {class: secSelf, optional: true, body: secBody(map[string]any{"nickname": "小雨妈妈", "real_name": "王芳", "avatar_url": "https://img.example.com/a.png"})},
	"PATCH /api/v1/me":                {class: secSelf, optional: true, body: secBody(map[string]any{"nickname": "小雨妈妈", "real_name": "王芳", "avatar_url": "https://img.example.com/a.png"})},
	"GET /api/v1/me/members":          {class: secSelf},
	"POST /api/v1/me/members": {class: secSelf, body: secBody(map[string]any{"name": "小宝", "relation": "child", "gender": "female",
		"birth_date": "2024-05-01", "chronic_conditions": []string{"哮喘"}})},
	"GET /api/v1/me/members/:id":    {class: secOwned, fixture: "member"},
	"PUT /api/v1/me/members/:id":    {class: secOwned, fixture: "member", optional: true, body: secBody(map[string]any{"name": "大宝", "gender": "male"})},
	"PATCH /api/v1/me/members/:id":  {class: secOwned, fixture: "member", optional: true, body: secBody(map[string]any{"name": "大宝", "gender": "male"})},
	"DELETE /api/v1/me/members/:id": {class: secOwned, fixture: "memberFree"},

	// Households and persons: membership of the household is the boundary.
	"GET /api/v1/households":                          {class: secSelf},
	"POST /api/v1/households":                         {class: secSelf, body: secBody(map[string]any{"name": "新家"})},
	"POST /api/v1/households/join":                    {class: secSelf, why: "a code names the household; a wrong one is 404 for everyone", body: secBody(map[string]any{"code": "AAAAAAAAAAAAAAAA"})},
	"GET /api/v1/households/:id":                      {class: secOwned, fixture: "household"},
	"PUT /api/v1/households/:id":                      {class: secOwned, fixture: "household", optional: true, body: secBody(map[string]any{"name": "我家"})},
	"POST /api/v1/households/:id/invitations":         {class: secOwned, fixture: "household", body: secBody(map[string]any{"role": "guardian"})},
	"DELETE /api/v1/households/:id/invitations/:code": {class: secOwned, fixture: "household"},
	"GET /api/v1/households/:id/next":                 {class: secOwned, fixture: "household"},
	"GET /api/v1/households/:id/persons":              {class: secOwned, fixture: "household"},
	"POST /api/v1/households/:id/persons":             {class: secOwned, fixture: "household", body: secBody(map[string]any{"name": "四宝", "relation": "grandchild"})},
	"GET /api/v1/persons/:id":                         {class: secOwned, fixture: "member"},
	"PUT /api/v1/persons/:id":                         {class: secOwned, fixture: "member", optional: true, body: secBody(map[string]any{"name": "大宝"})},
	"DELETE /api/v1/persons/:id":                      {class: secOwned, fixture: "memberFree"},
	"POST /api/v1/persons/:id/link-requests": {class: secOwned, fixture: "member", body: func(w *secWorld) map[string]any {
		return map[string]any{"household_id": w.ids["household"], "relation": "grandchild", "id_type": "resident_id", "id_number": w.childIDNumber}
	}},
	"GET /api/v1/link-requests":                     {class: secSelf},
	"POST /api/v1/link-requests/:id/approve":        {class: secOwned, fixture: "linkRequest"},
	"GET /api/v1/me/person":                         {class: secSelf},
	"GET /api/v1/staff/persons":                     {class: secClinicList, crossStatus: 200},
	"POST /api/v1/staff/households":                 {class: secClinicList, body: secBody(map[string]any{"name": "独居老人家"})},
	"GET /api/v1/staff/households/:id":              {class: secClinic, fixture: "staffHousehold"},
	"POST /api/v1/staff/households/:id/persons":     {class: secClinic, fixture: "staffHousehold", body: secBody(map[string]any{"name": "李大爷", "relation": "self"})},
	"POST /api/v1/staff/households/:id/invitations": {class: secClinic, fixture: "staffHousehold", body: secBody(map[string]any{"role": "guardian"})},
	"POST /api/v1/staff/persons/:id/verify": {class: secClinic, fixture: "member", body: func(w *secWorld) map[string]any {
		return map[string]any{"id_type": "resident_id", "id_number": w.childIDNumber}
	}},
	"POST /api/v1/staff/link-requests/:id/approve": {class: secClinic, fixture: "linkRequest"},
	"POST /api/v1/admin/users/:id/role":            {class: secAdmin, fixture: "userB", body: secBody(map[string]any{"role": "staff", "clinic_id": 2})},
	"GET /api/v1/me/favorites":                     {class: secSelf},
	"POST /api/v1/me/subscriptions":                {class: secSelf, body: secBody(map[string]any{"template_ids": []string{"tpl-booking"}})},
	"GET /api/v1/notifications":                    {class: secSelf},
	"POST /api/v1/notifications/:id/read":          {class: secOwned, fixture: "notification"},
	"POST /api/v1/notifications/read-all":          {class: secSelf},

	// Catalogue.
	"GET /api/v1/clinics":              {class: secPublic, why: whyCatalogue},
	"GET /api/v1/clinics/:id":          {class: secPublic, fixture: "clinic", why: whyCatalogue},
	"GET /api/v1/experts":              {class: secPublic, why: whyCatalogue},
	"GET /api/v1/experts/:id":          {class: secPublic, fixture: "expert", why: whyCatalogue},
	"GET /api/v1/services":             {class: secPublic, why: whyCatalogue},
	"GET /api/v1/sessions":             {class: secPublic, why: whyCatalogue},
	"GET /api/v1/sessions/:id":         {class: secPublic, fixture: "session", why: whyCatalogue},
	"GET /api/v1/sessions/:id/slots":   {class: secPublic, fixture: "session", why: whyCatalogue},
	"GET /api/v1/doctor-teams":         {class: secPublic, why: whyCatalogue},
	"GET /api/v1/articles":             {class: secPublic, why: "published articles are public (drafts never listed)"},
	"GET /api/v1/articles/:id":         {class: secPublic, fixture: "articlePublished", hidden: "article", why: "published articles are public; a draft is 404"},
	"GET /api/v1/articles/recommended": {class: secPublic, why: "recommendations from the caller's own members (none without a token)"},
	"GET /api/v1/circles":              {class: secPublic, why: "the list of circles is public"},

	// Bookings.
	"POST /api/v1/bookings": {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any {
		return map[string]any{"session_id": w.ids["session"], "member_id": w.ids["child2"], "note": "第一次来", "join_waitlist": false}
	}},
	"GET /api/v1/bookings":                     {class: secSelf},
	"GET /api/v1/bookings/:id":                 {class: secOwned, fixture: "booking"},
	"POST /api/v1/bookings/:id/cancel":         {class: secOwned, fixture: "booking", optional: true, body: secReason},
	"GET /api/v1/staff/bookings":               {class: secClinicList, crossQuery: "?clinic_id=3"},
	"POST /api/v1/staff/bookings":              {class: secClinicList, body: secStaffBookingBody, crossBody: secStaffBookingBody},
	"GET /api/v1/staff/bookings/:id":           {class: secClinic, fixture: "booking"},
	"POST /api/v1/staff/bookings/:id/confirm":  {class: secClinic, fixture: "booking", optional: true, body: secReason},
	"POST /api/v1/staff/bookings/:id/reject":   {class: secClinic, fixture: "booking", body: secReason},
	"POST /api/v1/staff/bookings/:id/check-in": {class: secClinic, fixture: "booking", optional: true, body: secReason},
	"POST /api/v1/staff/bookings/:id/no-show":  {class: secClinic, fixture: "booking", optional: true, body: secReason},
	"POST /api/v1/staff/sessions": {class: secClinicList, body: func(w *secWorld) map[string]any { return w.sessionBody(serviceA) },
		crossBody: func(w *secWorld) map[string]any { return w.sessionBody(serviceA) }},
	"PUT /api/v1/staff/sessions/:id":   {class: secClinic, fixture: "session", body: secBody(map[string]any{"capacity": 6})},
	"PATCH /api/v1/staff/sessions/:id": {class: secClinic, fixture: "session", body: secBody(map[string]any{"capacity": 6})},
	"POST /api/v1/staff/bookings/confirm": {class: secClinicList, body: func(w *secWorld) map[string]any { return map[string]any{"ids": []int64{w.ids["booking"]}} },
		crossBody: func(w *secWorld) map[string]any { return map[string]any{"ids": []int64{w.ids["booking"]}} }},
	"POST /api/v1/staff/referrals":            {class: secClinicList, body: secReferralBody, crossBody: secReferralBody},
	"GET /api/v1/referrals":                   {class: secSelf},
	"GET /api/v1/referrals/:id":               {class: secOwned, fixture: "referral"},
	"POST /api/v1/referrals/:id/cancel":       {class: secOwned, fixture: "referralFree", optional: true, body: secReason},
	"GET /api/v1/staff/referrals":             {class: secClinicList},
	"GET /api/v1/staff/referrals/:id":         {class: secClinic, fixture: "referral"},
	"POST /api/v1/staff/referrals/:id/cancel": {class: secClinic, fixture: "referralStaffFree", optional: true, body: secReason},
	"POST /api/v1/staff/services": {class: secClinicList, as: "manager3", why: whyManager, body: secBody(secServiceBody(0)),
		crossBody: secBody(secServiceBody(clinicA))},
	"PUT /api/v1/staff/services/:id": {class: secClinic, as: "manager3", why: whyManager, fixture: "service", body: secBody(secServiceBody(0))},
	"POST /api/v1/staff/schedules": {class: secClinicList, body: func(w *secWorld) map[string]any { return w.scheduleBody(serviceA) },
		crossBody: func(w *secWorld) map[string]any { return w.scheduleBody(serviceA) }},

	// Circles.
	"POST /api/v1/circles/:id/join":  {class: secShared, fixture: "circle", why: whyCircle},
	"POST /api/v1/circles/:id/leave": {class: secShared, fixture: "circle", why: whyCircle},
	"GET /api/v1/circles/:id/posts":  {class: secShared, fixture: "circle", why: whyCircle},
	"POST /api/v1/circles/:id/posts": {class: secShared, fixture: "circle", why: whyCircle,
		body: secBody(map[string]any{"content": "孕 20 周，腿抽筋怎么办？", "image_urls": []string{"https://img.example.com/1.jpg"}, "anonymous": false})},
	"GET /api/v1/posts/:id":                  {class: secShared, fixture: "post", hidden: "postPending", why: "published posts are seen by every signed-in user"},
	"DELETE /api/v1/posts/:id":               {class: secShared, fixture: "post", hidden: "postPending", why: "author or staff only (others: 403 on a visible post)"},
	"GET /api/v1/posts/:id/comments":         {class: secShared, fixture: "post", hidden: "postPending", why: "comments of a visible post"},
	"POST /api/v1/posts/:id/comments":        {class: secShared, fixture: "post", hidden: "postPending", why: "any circle member comments", body: secBody(map[string]any{"content": "多喝牛奶"})},
	"POST /api/v1/posts/:id/like":            {class: secShared, fixture: "post", hidden: "postPending", why: "the caller's own like"},
	"DELETE /api/v1/posts/:id/like":          {class: secShared, fixture: "post", hidden: "postPending", why: "the caller's own like"},
	"POST /api/v1/posts/:id/report":          {class: secShared, fixture: "post", hidden: "postPending", as: "other", why: "the caller's own report", body: secBody(map[string]any{"reason": "广告推销"})},
	"POST /api/v1/staff/circles":             {class: secAdmin, body: secBody(map[string]any{"slug": "erhai", "name": "二胎妈妈圈", "description": "二胎家庭", "stage": "postpartum"})},
	"GET /api/v1/staff/posts":                {class: secNetwork, why: whyModeration},
	"POST /api/v1/staff/posts/:id/hide":      {class: secNetwork, fixture: "post", why: whyModeration, body: secBody(map[string]any{"reason": "广告"})},
	"POST /api/v1/staff/posts/:id/unhide":    {class: secNetwork, fixture: "post", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "误判"})},
	"GET /api/v1/staff/comments":             {class: secNetwork, why: whyModeration},
	"POST /api/v1/staff/comments/:id/hide":   {class: secNetwork, fixture: "comment", why: whyModeration, body: secBody(map[string]any{"reason": "广告"})},
	"POST /api/v1/staff/comments/:id/unhide": {class: secNetwork, fixture: "comment", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "误判"})},
	"GET /api/v1/staff/uploads/review":       {class: secNetwork, why: whyImageModeration},
	"POST /api/v1/staff/uploads/:id/verdict": {class: secNetwork, fixture: "upload", why: whyImageModeration, body: secBody(map[string]any{"verdict": "pass"})},
	"GET /api/v1/staff/reports":              {class: secNetwork, why: whyModeration},
	"POST /api/v1/staff/reports/:id/dismiss": {class: secNetwork, fixture: "report", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "没问题"})},
	"POST /api/v1/staff/users/:id/mute":      {class: secNetwork, fixture: "userB", why: whyModeration, body: secBody(map[string]any{"until": "2026-12-31", "reason": "刷屏"})},
	"DELETE /api/v1/staff/users/:id/mute":    {class: secNetwork, fixture: "userB", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "解除"})},
	"GET /api/v1/staff/moderation-logs":      {class: secNetwork, why: whyModeration},

	// Guidance.
	"POST /api/v1/articles/:id/favorite":   {class: secShared, fixture: "articlePublished", hidden: "article", why: "the caller's own favorite of a published article"},
	"DELETE /api/v1/articles/:id/favorite": {class: secShared, fixture: "articlePublished", hidden: "article", why: "the caller's own favorite of a published article"},
	"GET /api/v1/staff/articles":           {class: secClinicList},
	"POST /api/v1/staff/articles": {class: secClinicList, why: "creates at the caller's clinic",
		body: secBody(map[string]any{"title": "宝宝辅食", "summary": "从米粉开始", "body": "<p>一次只加一种新食物。</p>", "category": "nutrition", "stages": []string{"infant_6_12m"}, "cover_url": "https://img.example.com/c.jpg"})},
	"PUT /api/v1/staff/articles/:id":          {class: secClinic, fixture: "article", optional: true, body: secBody(map[string]any{"title": "新的标题", "summary": "新的摘要"})},
	"PATCH /api/v1/staff/articles/:id":        {class: secClinic, fixture: "article", optional: true, body: secBody(map[string]any{"title": "新的标题", "summary": "新的摘要"})},
	"POST /api/v1/staff/articles/:id/publish": {class: secClinic, fixture: "article"},
	"POST /api/v1/staff/articles/:id/archive": {class: secClinic, fixture: "article"},

	// Family-doctor contracts.
	"POST /api/v1/family-contracts": {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any {
		return map[string]any{"team_id": ctTeam3, "member_ids": []int64{w.ids["memberFree"]}}
	}},
	"GET /api/v1/family-contracts":                {class: secSelf},
	"GET /api/v1/family-contracts/:id":            {class: secOwned, fixture: "contract"},
	"POST /api/v1/family-contracts/:id/renew":     {class: secOwned, fixture: "contract"},
	"POST /api/v1/family-contracts/:id/terminate": {class: secOwned, fixture: "contract2", body: secBody(map[string]any{"reason": "搬离本镇"})},
	"POST /api/v1/staff/family-contracts": {class: secClinicList, body: func(w *secWorld) map[string]any {
		return map[string]any{"team_id": ctTeam3, "member_ids": []int64{w.ids["memberFree"]}}
	}, crossBody: func(w *secWorld) map[string]any {
		return map[string]any{"team_id": ctTeam3, "member_ids": []int64{w.ids["memberFree"]}}
	}},
	"GET /api/v1/staff/family-contracts":     {class: secClinicList},
	"GET /api/v1/staff/family-contracts/:id": {class: secClinic, fixture: "contract"},
	"POST /api/v1/staff/family-contracts/:id/approve": {class: secClinic, fixture: "contractPending", optional: true,
		body: func(w *secWorld) map[string]any { return map[string]any{"responsible_doctor_id": w.staff3.ID} }},
	"POST /api/v1/staff/family-contracts/:id/reject":    {class: secClinic, fixture: "contractPending", body: secBody(map[string]any{"reason": "资料不全"})},
	"POST /api/v1/staff/family-contracts/:id/terminate": {class: secClinic, fixture: "contract3", body: secBody(map[string]any{"reason": "居民要求"})},
	// Contract content: service packages and agreement versions.
	"GET /api/v1/service-packages":           {class: secSelf, why: "the packages a clinic offers at signing: catalogue data for signed-in users"},
	"GET /api/v1/agreement-versions/current": {class: secSelf, why: "the published agreement text every family reads before signing"},
	"GET /api/v1/staff/service-packages":     {class: secClinicList, crossQuery: "?clinic_id=3"},
	"POST /api/v1/staff/service-packages": {class: secClinicList, as: "manager3", why: whyManager,
		body:      secBody(map[string]any{"code": "elderly_care", "name": "老年人健康管理包", "description": "每年一次健康体检", "active": true}),
		crossBody: secBody(map[string]any{"clinic_id": clinicA, "code": "cross_pkg", "name": "跨机构的包"})},
	"PUT /api/v1/staff/service-packages/:id": {class: secClinic, as: "manager3", why: whyManager, fixture: "servicePackage",
		body: secBody(map[string]any{"name": "慢病管理包", "description": "高血压、糖尿病随访", "active": true})},
	"POST /api/v1/admin/agreement-versions": {class: secAdmin, body: secBody(map[string]any{"version": "2027.1", "title": "家庭医生签约服务协议",
		"body": "甲方与乙方约定……"})},
	"GET /api/v1/admin/agreement-versions":  {class: secAdmin},
	"GET /api/v1/staff/stats/family-doctor": {class: secClinicList, crossQuery: "?clinic_id=3", crossStatus: http.StatusForbidden},
	// Coverage figures (issue 15): flags on persons, households' places,
	// the figures and their spreadsheet.
	"PUT /api/v1/households/:id/village":           {class: secOwned, fixture: "household", body: secBody(map[string]any{"village": ""})},
	"PUT /api/v1/staff/households/:id/village":     {class: secClinic, fixture: "staffHousehold", body: secBody(map[string]any{"village": ""})},
	"PUT /api/v1/staff/persons/:id/coverage-flags": {class: secClinic, fixture: "elder", body: secBody(map[string]any{"disabled": true, "special_hardship": false})},
	"GET /api/v1/staff/stats/coverage":             {class: secClinicList, crossQuery: "?clinic_id=3", crossStatus: http.StatusForbidden},
	"GET /api/v1/staff/stats/coverage.xlsx":        {class: secClinicList, crossQuery: "?clinic_id=3", crossStatus: http.StatusForbidden},

	// Medicine delivery.
	"POST /api/v1/medicine-orders":                          {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any { return mdBody(w.ids["elder"]) }},
	"GET /api/v1/medicine-orders":                           {class: secSelf},
	"GET /api/v1/medicine-orders/:id":                       {class: secOwned, fixture: "order"},
	"POST /api/v1/medicine-orders/:id/cancel":               {class: secOwned, fixture: "order", optional: true, body: secReason},
	"POST /api/v1/medicine-orders/:id/reorder":              {class: secOwned, fixture: "orderDelivered"},
	"GET /api/v1/staff/medicine-orders":                     {class: secClinicList},
	"POST /api/v1/staff/medicine-orders":                    {class: secClinicList, body: secStaffOrder, crossBody: secStaffOrder, crossStatus: 404},
	"GET /api/v1/staff/medicine-orders/:id":                 {class: secClinic, fixture: "order"},
	"POST /api/v1/staff/medicine-orders/:id/approve":        {class: secClinic, fixture: "order"},
	"POST /api/v1/staff/medicine-orders/:id/reject":         {class: secClinic, fixture: "orderReject", body: secBody(map[string]any{"reason": "处方已过期"})},
	"POST /api/v1/staff/medicine-orders/:id/dispatch":       {class: secClinic, fixture: "orderApproved", optional: true, body: secBody(map[string]any{"courier": "孙梅", "eta": "2026-11-24T15:00:00+08:00"})},
	"POST /api/v1/staff/medicine-orders/:id/deliver":        {class: secClinic, fixture: "orderDispatched", body: secBody(map[string]any{"handover_code": "123456"})},
	"POST /api/v1/staff/medicine-orders/:id/reset-handover": {class: secClinic, fixture: "orderDispatched"},

	// Family doctor in practice.
	"POST /api/v1/admin/doctor-teams":    {class: secAdmin, body: func(w *secWorld) map[string]any { return dtBody(ctClinic3, w.staff3.ID) }},
	"GET /api/v1/admin/doctor-teams/:id": {class: secAdmin, fixture: "team"},
	"PUT /api/v1/admin/doctor-teams/:id": {class: secAdmin, fixture: "team", body: func(w *secWorld) map[string]any { return dtBody(ctClinic3, w.staff3.ID) }},
	"GET /api/v1/consultations":          {class: secSelf},
	"POST /api/v1/consultations": {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any {
		return map[string]any{"person_id": w.ids["elder"], "text": "最近血压偏高"}
	}},
	"GET /api/v1/consultations/:id":                 {class: secOwned, fixture: "consultation"},
	"POST /api/v1/consultations/:id/messages":       {class: secOwned, fixture: "consultation", body: secBody(map[string]any{"text": "今天好一些了"})},
	"POST /api/v1/consultations/:id/close":          {class: secOwned, fixture: "consultation2"},
	"GET /api/v1/staff/consultations":               {class: secClinicList},
	"GET /api/v1/staff/consultations/:id":           {class: secClinic, fixture: "consultation"},
	"POST /api/v1/staff/consultations/:id/messages": {class: secClinic, fixture: "consultation", body: secBody(map[string]any{"text": "按时服药"})},
	"POST /api/v1/staff/consultations/:id/close":    {class: secClinic, fixture: "consultation2"},
	"GET /api/v1/persons/:id/medications":           {class: secOwned, fixture: "elder"},
	"PUT /api/v1/staff/persons/:id/medications":     {class: secClinic, fixture: "elder", body: secBody(mlBody("苯磺酸氨氯地平片"))},
	"GET /api/v1/staff/worklist":                    {class: secClinicList},
	"GET /api/v1/persons/:id/follow-ups":            {class: secOwned, fixture: "elder"},
	"POST /api/v1/staff/follow-ups/:id/record":      {class: secClinic, fixture: "followup", body: secBody(map[string]any{"method": "phone", "systolic": 130, "notes": "电话随访"})},

	// The first 1000 days (a person id is a member id until persons land).
	"GET /api/v1/growth-standards":                {class: secPublic, why: "the WHO reference curves are published data"},
	"GET /api/v1/vaccines":                        {class: secPublic, why: "the 自费 vaccines offered are public catalogue data"},
	"POST /api/v1/admin/vaccines":                 {class: secAdmin, body: secBody(map[string]any{"code": "EV71", "name": "肠道病毒71型灭活疫苗", "doses": []map[string]any{{"dose": 1, "age_months": 6}}})},
	"GET /api/v1/me/next":                         {class: secSelf},
	"GET /api/v1/persons/:id/vaccinations":        {class: secOwned, fixture: "member"},
	"GET /api/v1/persons/:id/checkups":            {class: secOwned, fixture: "member"},
	"GET /api/v1/persons/:id/growth":              {class: secOwned, fixture: "member"},
	"POST /api/v1/persons/:id/growth":             {class: secOwned, fixture: "member", body: secBody(map[string]any{"weight_kg": 9.5, "length_cm": 75})},
	"GET /api/v1/persons/:id/next":                {class: secOwned, fixture: "member"},
	"GET /api/v1/staff/persons/:id/vaccinations":  {class: secClinic, fixture: "member"},
	"POST /api/v1/staff/persons/:id/vaccinations": {class: secClinic, fixture: "member", body: secBody(map[string]any{"vaccine": "EV71", "dose": 1, "given_at": "2026-11-23T09:00:00+08:00", "lot": "L1"})},
	"GET /api/v1/staff/persons/:id/checkups":      {class: secClinic, fixture: "member"},
	"GET /api/v1/staff/persons/:id/growth":        {class: secClinic, fixture: "member"},
	"POST /api/v1/staff/persons/:id/growth":       {class: secClinic, fixture: "member", body: secBody(map[string]any{"weight_kg": 9.5})},
	"POST /api/v1/staff/persons/:id/checkups":     {class: secClinic, fixture: "member", body: secBody(map[string]any{"code": "m3", "weight_kg": 6.4, "notes": "正常"})},

	// Network administration (admins; clinic managers where the service
	// says so: plain staff get 403).
	"POST /api/v1/admin/clinics": {class: secAdmin, body: secBody(map[string]any{"name": "城西分院", "kind": "branch", "parent_id": 1,
		"address": "城西街道 8 号", "phone": "0571-1", "open_hours": "周一至周日", "offers": []string{"vaccination"}, "catchment": []string{"桃园村"},
		"hours": []map[string]any{{"weekdays": []int{6, 7}, "start": "08:00", "end": "12:00"}}, "location": map[string]any{"lat": 30.1, "lng": 120.1}})},
	"PUT /api/v1/admin/clinics/:id":              {class: secAdmin, fixture: "clinic", optional: true, body: secBody(map[string]any{"phone": "0571-8800 3399", "catchment": []string{"石桥村"}})},
	"GET /api/v1/staff/audit-logs":               {class: secAdmin},
	"POST /api/v1/admin/staff-invitations":       {class: secAdmin, body: secBody(map[string]any{"clinic_id": 2, "position": "nurse", "valid_hours": 24})},
	"DELETE /api/v1/admin/staff-invitations/:id": {class: secAdmin, fixture: "invitation"},
	"POST /api/v1/staff-invitations/redeem":      {class: secSelf, body: secBody(map[string]any{"code": "ABCD-EFGH-JK"})},
	"POST /api/v1/admin/experts": {class: secAdmin, body: secBody(map[string]any{"name": "赵医生", "title": "主任医师", "specialty": "儿科", "bio": "简介",
		"home_clinic_id": 1, "sitting_clinic_ids": []int64{3}, "studios": []map[string]any{{"clinic_id": 3, "name": "赵医生名医工作室", "weekdays": []int{2}, "start_time": "08:30", "end_time": "11:30"}}})},
	"PUT /api/v1/admin/experts/:id": {class: secAdmin, fixture: "expert", optional: true, body: secBody(map[string]any{"title": "主任医师", "home_clinic_id": 1})},
	"POST /api/v1/admin/outreach-teams": {class: secAdmin, body: func(w *secWorld) map[string]any {
		start := w.h.Clock.Now().Add(120 * time.Hour).Truncate(time.Hour)
		return map[string]any{"name": "流动专家队", "description": "巡诊", "home_clinic_id": 1, "expert_ids": []int64{1},
			"visits": []map[string]any{{"service_id": serviceA, "starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 10}}}
	}},
	"PUT /api/v1/admin/outreach-teams/:id": {class: secAdmin, fixture: "outreachTeam", optional: true, body: secBody(map[string]any{"name": "流动专家二队"})},
	"GET /api/v1/outreach-teams/:id":       {class: secPublic, fixture: "outreachTeam", why: whyCatalogue},
	"GET /api/v1/outreach-visits":          {class: secPublic, why: whyCatalogue},
	"GET /api/v1/admin/users":              {class: secAdmin},
	"PUT /api/v1/admin/users/:id":          {class: secAdmin, fixture: "userB", body: secBody(map[string]any{"suspended": false, "reason": "核实"})},
}

// secServiceBody is a valid service (at clinic, when not 0).
func secServiceBody(clinic int64) map[string]any {
	b := map[string]any{"kind": "vaccination", "name": "午间接种", "duration_minutes": 30,
		"eligibility": map[string]any{"max_age_years": 18}}
	if clinic != 0 {
		b["clinic_id"] = clinic
	}
	return b
}

// secStaffBookingBody books A's child at clinic 3's session with clinic 3's
// referral (the child holds a seat there already: 409 already_booked for
// clinic 3's staff; clinic 2's staff reach neither the referral nor the
// session: 404).
func secStaffBookingBody(w *secWorld) map[string]any {
	return map[string]any{"session_id": w.ids["session"], "person_id": w.ids["member"], "referral_id": w.ids["referral"], "note": "代约"}
}

// secReferralBody refers A's child (booked at clinic 3) to service A.
func secReferralBody(w *secWorld) map[string]any {
	return map[string]any{"person_id": w.ids["member"], "service_id": serviceA, "reason": "转诊" + secMarker, "urgency": "routine"}
}
