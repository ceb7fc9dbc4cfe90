package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"
	"familycare/pii"

	"gorm.io/gorm"
)

// Errors of consultations.
var (
	ErrConsultNoTeam = newErr(KindForbidden, "no_contract_team",
		"this person has no active family-doctor contract; asking the doctor needs one")
	ErrConsultClosed = newErr(KindConflict, "consultation_closed",
		"this consultation is closed and can no longer be reopened; start a new one")
)

// EventConsultReplied is the notice (and subscribe message) when the team
// replies.
const EventConsultReplied = "consultation_replied"

// Sides of a consultation message.
const (
	ConsultSideResident = "resident"
	ConsultSideStaff    = "staff"
)

// consultMaxText bounds one message.
const consultMaxText = 2000

// consultMachine is the consultation state machine: the family asks (open),
// the team replies (answered), the family writes again (open), anyone
// closes, the job closes answered ones after quiet days, and the family
// reopens a closed one within the limit.
var consultMachine = &Machine{
	Name: "consultation", Table: "consultations",
	States: []string{model.ConsultOpen, model.ConsultAnswered, model.ConsultClosed},
	Moves: []Move{
		{"", model.ConsultOpen, []string{SideResident}},
		{model.ConsultOpen, model.ConsultAnswered, []string{SideStaff}},
		{model.ConsultAnswered, model.ConsultOpen, []string{SideResident}},
		{model.ConsultOpen, model.ConsultClosed, []string{SideResident, SideStaff}},
		{model.ConsultAnswered, model.ConsultClosed, []string{SideResident, SideStaff, SideSystem}},
		{model.ConsultClosed, model.ConsultOpen, []string{SideResident}}, // reopened
	},
	model: func() any { return &model.Consultation{} },
	event: func(st Step, at time.Time) any {
		return &model.ConsultationEvent{ConsultationID: st.ID, Transition: st.record(at)}
	},
	// The staff queue's order reads the rank stored with the status.
	follows: func(status string) map[string]any {
		return map[string]any{"queue_rank": model.ConsultQueueRank(status)}
	},
}

// ConsultOptions are the response-time and reopening rules.
type ConsultOptions struct {
	ReplyWithin  time.Duration
	QuietClose   time.Duration
	ReopenWithin time.Duration
	ReopenLimit  int
}

// ConsultationService runs 咨询: conversations of a household with the team
// of a person's active contract. Messages are sealed at rest and never
// logged.
type ConsultationService struct {
	db      *gorm.DB
	pii     *pii.Box
	clock   Clock
	loc     *time.Location
	log     *slog.Logger
	notify  ContractNotifier
	checker ContentChecker
	blocked *blockList
	opts    ConsultOptions
	// Uploads, when set, serves the photos of messages (upload_ids).
	Uploads *UploadService
}

// NewConsultationService builds the service; checker is WeChat's content
// check.
func NewConsultationService(deps Deps, checker ContentChecker, notifier ContractNotifier) *ConsultationService {
	c := deps.Config
	return &ConsultationService{db: deps.DB, pii: deps.PII, clock: deps.Clock, loc: deps.Loc, log: deps.Log,
		notify: notifier, checker: checker, blocked: newBlockList(c.BlockedWords, deps.Log),
		opts: ConsultOptions{ReplyWithin: c.ConsultReplyWithin, QuietClose: c.ConsultQuietClose,
			ReopenWithin: c.ConsultReopenWithin, ReopenLimit: c.ConsultReopenLimit}}
}

// ConsultMessageView is one message as read (body opened).
type ConsultMessageView struct {
	Message model.ConsultationMessage
	Images  []UploadView
}

// ConsultationView is a consultation with its person and, when read alone,
// its messages and history.
type ConsultationView struct {
	Consultation model.Consultation
	Person       CareMember
	Overdue      bool
	Messages     []ConsultMessageView
	History      []model.ConsultationEvent
}

// ConsultInput is a new consultation or message.
type ConsultInput struct {
	PersonID  int64
	Text      string
	UploadIDs []int64
}

func (in *ConsultInput) normalize(needPerson bool) error {
	f := map[string]string{}
	in.Text = strings.TrimSpace(in.Text)
	if needPerson && in.PersonID <= 0 {
		f["person_id"] = "required"
	}
	if n := utf8.RuneCountInString(in.Text); n < 1 || n > consultMaxText {
		f["text"] = fmt.Sprintf("must be 1 to %d characters", consultMaxText)
	}
	if len(in.UploadIDs) > maxPostImages {
		f["upload_ids"] = fmt.Sprintf("must have at most %d items", maxPostImages)
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// screen runs a message through the blocked words and WeChat's check. A
// flagged message is held for the team with the reason; nothing is
// refused, and a check WeChat could not answer lets the message through.
func (s *ConsultationService) screen(ctx context.Context, db *gorm.DB, userID int64, text string) (bool, string) {
	if s.blocked.match(text) {
		return true, "含有屏蔽词，请医生团队查看"
	}
	var u model.User
	if err := db.Select("id", "open_id").First(&u, userID).Error; err != nil || s.checker == nil {
		return false, ""
	}
	verdict, err := s.checker.CheckText(ctx, u.OpenID, SceneComment, text)
	switch {
	case err != nil:
		s.log.Warn("content check failed; consultation message delivered unchecked", "err", err.Error())
	case verdict == VerdictRisky:
		return true, "内容安全检查提示风险，请医生团队查看"
	case verdict == VerdictReview:
		return true, "内容安全检查建议人工复核"
	}
	return false, ""
}

// Open starts a consultation about a person of the caller's household with
// the team of the person's active contract.
func (s *ConsultationService) Open(ctx context.Context, p Principal, in ConsultInput) (ConsultationView, error) {
	if err := in.normalize(true); err != nil {
		return ConsultationView{}, err
	}
	if len(in.UploadIDs) > 0 && s.Uploads == nil {
		return ConsultationView{}, InvalidField("upload_ids", "uploads are not enabled")
	}
	held, reason := s.screen(ctx, s.db.WithContext(ctx), p.UserID, in.Text)
	var id int64
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		person, err := personFor(tx, p, in.PersonID)
		if err != nil {
			return notFoundAs(err, ErrNotFound.Msg("no such person").With(map[string]any{"person_id": in.PersonID}))
		}
		contract, err := coveringContract(tx, person.ID)
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrConsultNoTeam.With(map[string]any{"person_id": person.ID})
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		due := now.Add(s.opts.ReplyWithin)
		c := model.Consultation{PersonID: person.ID, OpenedBy: p.UserID, TeamID: contract.TeamID, ClinicID: contract.ClinicID,
			ContractID: contract.ID, Status: model.ConsultOpen, QueueRank: model.ConsultQueueRank(model.ConsultOpen), DueAt: &due, LastMessageAt: now, StaffUnread: 1,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		id = c.ID
		if err := s.addMessage(tx, p, c.ID, ConsultSideResident, in, held, reason, now); err != nil {
			return err
		}
		return consultMachine.Start(tx, now, Step{ID: c.ID, To: model.ConsultOpen, By: actorOf(p)})
	})
	if err != nil {
		return ConsultationView{}, err
	}
	s.log.Info("consultation opened", "consultation_id", id, "held", held)
	return s.Get(ctx, p, id)
}

// addMessage stores a sealed message and attaches its photos.
func (s *ConsultationService) addMessage(tx *gorm.DB, p Principal, id int64, side string, in ConsultInput, held bool, reason string, now time.Time) error {
	body, err := s.pii.Seal(in.Text)
	if err != nil {
		return err
	}
	m := model.ConsultationMessage{ConsultationID: id, Side: side, UserID: p.UserID, Body: body, UploadIDs: in.UploadIDs,
		Held: held, HeldReason: reason, CreatedAt: now}
	if m.UploadIDs == nil {
		m.UploadIDs = []int64{}
	}
	if err := tx.Create(&m).Error; err != nil {
		return err
	}
	_, err = Attach(tx, now, p.UserID, model.UploadConsultation, "consultation_message", m.ID, in.UploadIDs)
	return err
}

// load reads a consultation the caller may see: on resident routes one
// about a person of the caller's household (personFor), on staff routes one
// of a team the caller is a member of. Anything else is 404.
func (s *ConsultationService) load(db *gorm.DB, p Principal, id int64, lock bool) (model.Consultation, error) {
	var c model.Consultation
	q := db
	if lock {
		q = forUpdate(db)
	}
	if err := q.First(&c, id).Error; err != nil {
		return c, notFound(err)
	}
	if p.Scope == ScopeSelf {
		if _, err := personFor(db, p, c.PersonID); err != nil {
			return model.Consultation{}, notFound(err)
		}
		return c, nil
	}
	if _, ok, err := inTeam(db, p, c.TeamID); err != nil || !ok {
		if err != nil {
			return model.Consultation{}, err
		}
		return model.Consultation{}, ErrNotFound
	}
	return c, nil
}

// side is the message side of the caller's route group.
func consultSide(p Principal) string {
	if p.Scope == ScopeSelf {
		return ConsultSideResident
	}
	return ConsultSideStaff
}

// Get reads one consultation with its messages and history, and marks the
// other side's messages read for the caller's side.
func (s *ConsultationService) Get(ctx context.Context, p Principal, id int64) (ConsultationView, error) {
	db := s.db.WithContext(ctx)
	c, err := s.load(db, p, id, false)
	if err != nil {
		return ConsultationView{}, err
	}
	col := "resident_unread"
	if consultSide(p) == ConsultSideStaff {
		col = "staff_unread"
	}
	if err := db.Model(&model.Consultation{}).Where("id = ? AND "+col+" > 0", id).Update(col, 0).Error; err != nil {
		return ConsultationView{}, err
	}
	if err := db.First(&c, id).Error; err != nil {
		return ConsultationView{}, notFound(err)
	}
	vs, err := s.views(db, []model.Consultation{c})
	if err != nil {
		return ConsultationView{}, err
	}
	v := vs[0]
	var msgs []model.ConsultationMessage
	if err := db.Where("consultation_id = ?", id).Order("id").Find(&msgs).Error; err != nil {
		return ConsultationView{}, err
	}
	ids := make([]int64, len(msgs))
	for i := range msgs {
		ids[i] = msgs[i].ID
		if msgs[i].Body, err = s.pii.Open(msgs[i].Body); err != nil {
			return ConsultationView{}, err
		}
	}
	images := map[int64][]model.Upload{}
	if s.Uploads != nil {
		if images, err = s.Uploads.attachedIn(db, "consultation_message", ids); err != nil {
			return ConsultationView{}, err
		}
	}
	for _, m := range msgs {
		mv := ConsultMessageView{Message: m}
		for _, u := range images[m.ID] {
			if u.CheckState != model.CheckRisky {
				mv.Images = append(mv.Images, UploadView{Upload: u, URL: s.Uploads.URL(u.BlobKey)})
			}
		}
		v.Messages = append(v.Messages, mv)
	}
	if err := db.Where("consultation_id = ?", id).Order("id").Find(&v.History).Error; err != nil {
		return ConsultationView{}, err
	}
	return v, nil
}

// views adds persons and the overdue flag.
func (s *ConsultationService) views(db *gorm.DB, cs []model.Consultation) ([]ConsultationView, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.PersonID
	}
	now := s.clock.Now()
	persons, err := loadCareMembers(db, ids, now, s.loc)
	if err != nil {
		return nil, err
	}
	out := make([]ConsultationView, len(cs))
	for i, c := range cs {
		out[i] = ConsultationView{Consultation: c, Person: persons[c.PersonID], Overdue: consultOverdue(c, now)}
	}
	return out, nil
}

func consultOverdue(c model.Consultation, now time.Time) bool {
	return c.Status == model.ConsultOpen && c.DueAt != nil && c.DueAt.Before(now)
}

// ConsultFilter filters lists.
type ConsultFilter struct {
	Status   string
	PersonID int64
}

// consultCursor is the position after a consultation in the staff queue,
// whose order is ix_consult_queue's: rank (open, answered, closed), due
// time (none first; answered and closed ones have none), last message
// newest first, id newest first. The offset cursor it replaced is refused.
type consultCursor struct {
	Rank int16      `json:"r"`
	Due  *time.Time `json:"d,omitempty"`
	Last time.Time  `json:"l"`
	ID   int64      `json:"id"`
}

func consultCursorOf(c model.Consultation) consultCursor {
	return consultCursor{Rank: c.QueueRank, Due: c.DueAt, Last: c.LastMessageAt, ID: c.ID}
}

// consultQueueOrder is the staff queue's order; consultBefore the same in
// Go, for merging the teams' reads.
const consultQueueOrder = "queue_rank, due_at, last_message_at DESC, id DESC"

func consultBefore(a, b model.Consultation) bool {
	switch {
	case a.QueueRank != b.QueueRank:
		return a.QueueRank < b.QueueRank
	case (a.DueAt == nil) != (b.DueAt == nil):
		return a.DueAt == nil // SQL sorts no value first
	case a.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
		return a.DueAt.Before(*b.DueAt)
	case !a.LastMessageAt.Equal(b.LastMessageAt):
		return a.LastMessageAt.After(b.LastMessageAt)
	}
	return a.ID > b.ID
}

// after continues q behind the cursor in consultQueueOrder.
func (c consultCursor) after(q *gorm.DB) *gorm.DB {
	tail := "(last_message_at < ? OR (last_message_at = ? AND id < ?))"
	if c.Due == nil {
		return q.Where("(queue_rank > ? OR (queue_rank = ? AND (due_at IS NOT NULL OR (due_at IS NULL AND "+tail+"))))",
			c.Rank, c.Rank, c.Last, c.Last, c.ID)
	}
	return q.Where("(queue_rank > ? OR (queue_rank = ? AND (due_at > ? OR (due_at = ? AND "+tail+"))))",
		c.Rank, c.Rank, *c.Due, *c.Due, c.Last, c.Last, c.ID)
}

// List lists consultations: on resident routes those about the persons of
// the caller's household, newest first; on staff routes those of the
// caller's teams, open ones first by due time (overdue at the top), then
// answered, then closed.
func (s *ConsultationService) List(ctx context.Context, p Principal, f ConsultFilter, pg pagination.Page) ([]ConsultationView, string, error) {
	db := s.db.WithContext(ctx)
	q := filterBy(db.Model(&model.Consultation{}), "status", f.Status, "person_id", f.PersonID)
	if p.Scope == ScopeSelf {
		persons, err := familyPersons(db, p)
		if err != nil {
			return nil, "", err
		}
		if len(persons) == 0 {
			return []ConsultationView{}, "", nil
		}
		// One read of the person_id index (person, id) per person of the
		// family, merged: a family is a few households of at most 30.
		var reads []*gorm.DB
		for _, m := range persons {
			if f.PersonID == 0 || f.PersonID == m.ID {
				reads = append(reads, fork(q).Where("person_id = ?", m.ID))
			}
		}
		if len(reads) == 0 { // person_id names no one of the family
			if err := decodeCursor(pg.Cursor, &idCursor{}); err != nil {
				return nil, "", err
			}
			return []ConsultationView{}, "", nil
		}
		rows, next, err := findPageByIDEach(reads, pg, true, func(c model.Consultation) int64 { return c.ID })
		if err != nil {
			return nil, "", err
		}
		vs, err := s.views(db, rows)
		return vs, next, err
	}
	teams, err := myTeams(db, p)
	if err != nil {
		return nil, "", err
	}
	if len(teams) == 0 {
		return []ConsultationView{}, "", nil
	}
	ids := make([]int64, 0, len(teams))
	for id := range teams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var cur consultCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return nil, "", err
	}
	if pg.Cursor != "" && cur.ID <= 0 { // an offset cursor of the build before
		return nil, "", InvalidField("cursor", "is not valid")
	}
	if f.Status != "" { // the status's rank: a range of ix_consult_queue
		q = q.Where("queue_rank = ?", model.ConsultQueueRank(f.Status))
	}
	if pg.Cursor != "" {
		q = cur.after(q)
	}
	// One range of ix_consult_queue per team, read in order and merged.
	reads := make([]*gorm.DB, len(ids))
	for i, id := range ids {
		reads[i] = fork(q).Where("team_id = ?", id)
	}
	limit := pageLimit(pg.Limit)
	rows, err := mergePage(reads, consultQueueOrder, limit+1, consultBefore, func(c model.Consultation) int64 { return c.ID })
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = pagination.Encode(consultCursorOf(rows[limit-1]))
	}
	vs, err := s.views(db, rows)
	return vs, next, err
}

// Write adds a message: from the family it moves an answered consultation
// back to open (or reopens a closed one within the limit); from the team it
// answers an open one and notifies the family.
func (s *ConsultationService) Write(ctx context.Context, p Principal, id int64, in ConsultInput) (ConsultationView, error) {
	if err := in.normalize(false); err != nil {
		return ConsultationView{}, err
	}
	if len(in.UploadIDs) > 0 && s.Uploads == nil {
		return ConsultationView{}, InvalidField("upload_ids", "uploads are not enabled")
	}
	side := consultSide(p)
	held, reason := false, ""
	if side == ConsultSideResident {
		held, reason = s.screen(ctx, s.db.WithContext(ctx), p.UserID, in.Text)
	}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		c, err := s.load(tx, p, id, true)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		by := actorOf(p)
		switch {
		case side == ConsultSideResident && c.Status == model.ConsultClosed:
			if c.Reopens >= s.opts.ReopenLimit || c.ClosedAt == nil || now.Sub(*c.ClosedAt) > s.opts.ReopenWithin {
				return ErrConsultClosed.With(map[string]any{"reopens": c.Reopens, "limit": s.opts.ReopenLimit})
			}
			due := now.Add(s.opts.ReplyWithin)
			err = consultMachine.Apply(tx, now, Step{ID: c.ID, From: c.Status, To: model.ConsultOpen, By: by, Reason: "reopened",
				Set: map[string]any{"reopens": gorm.Expr("reopens + 1"), "due_at": due, "closed_at": nil}})
		case side == ConsultSideResident && c.Status == model.ConsultAnswered:
			due := now.Add(s.opts.ReplyWithin)
			err = consultMachine.Apply(tx, now, Step{ID: c.ID, From: c.Status, To: model.ConsultOpen, By: by,
				Set: map[string]any{"due_at": due}})
		case side == ConsultSideStaff && c.Status == model.ConsultOpen:
			err = consultMachine.Apply(tx, now, Step{ID: c.ID, From: c.Status, To: model.ConsultAnswered, By: by,
				Set: map[string]any{"due_at": nil}})
		case c.Status == model.ConsultClosed:
			err = consultMachine.refuse(c.Status, model.ConsultAnswered)
		}
		if err != nil {
			return err
		}
		if err := s.addMessage(tx, p, c.ID, side, in, held, reason, now); err != nil {
			return err
		}
		unread := "staff_unread"
		if side == ConsultSideStaff {
			unread = "resident_unread"
		}
		if err := tx.Model(&model.Consultation{}).Where("id = ?", c.ID).Updates(map[string]any{
			unread: gorm.Expr(unread + " + 1"), "last_message_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		if side != ConsultSideStaff {
			return nil
		}
		var person model.Person
		if err := tx.Unscoped().First(&person, c.PersonID).Error; err != nil {
			return err
		}
		return s.notify.Notify(tx, Notice{UserID: personOwner(person), Event: EventConsultReplied, Title: "医生已回复您的咨询",
			Body: fmt.Sprintf("家庭医生团队回复了关于%s的咨询，请查看。", person.Name), RefType: "consultation", RefID: c.ID})
	})
	if err != nil {
		return ConsultationView{}, err
	}
	s.log.Info("consultation message", "consultation_id", id, "side", side, "held", held)
	return s.Get(ctx, p, id)
}

// Close closes a consultation (the family or the team).
func (s *ConsultationService) Close(ctx context.Context, p Principal, id int64) (ConsultationView, error) {
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		c, err := s.load(tx, p, id, true)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		return consultMachine.Apply(tx, now, Step{ID: c.ID, From: c.Status, To: model.ConsultClosed, By: actorOf(p),
			Set: map[string]any{"closed_at": now, "due_at": nil}})
	})
	if err != nil {
		return ConsultationView{}, err
	}
	return s.Get(ctx, p, id)
}

// CloseQuiet closes answered consultations without a message for the quiet
// period. Each is closed by a conditional update, so any number of
// processes running the job close each once; it answers how many this
// process closed.
func (s *ConsultationService) CloseQuiet(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&model.Consultation{}).
		Where("status = ? AND last_message_at < ?", model.ConsultAnswered, now.Add(-s.opts.QuietClose)).
		Order("id").Limit(500).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	closed := 0
	for _, id := range ids {
		err := transact(ctx, s.db, func(tx *gorm.DB) error {
			return consultMachine.Apply(tx, now, Step{ID: id, From: model.ConsultAnswered, To: model.ConsultClosed, By: systemActor,
				Reason: "no message for the quiet period", Set: map[string]any{"closed_at": now},
				Where: []any{"last_message_at < ?", now.Add(-s.opts.QuietClose)}})
		})
		if lostRace(err) {
			continue
		}
		if err != nil {
			return closed, err
		}
		closed++
	}
	return closed, nil
}
