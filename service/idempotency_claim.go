package service

import (
	"context"

	"familycare/model"

	"gorm.io/gorm"
)

// IdemClaim is an Idempotency-Key a create method records in its own
// transaction, with its answer: one durable commit for the request and its
// record, where Begin + Finish take two more. A create that cannot (its
// short path does not apply) claims the key the usual way (Begin) before it
// does anything, so every other outcome is answered, stored and replayed as
// with the idempotent middleware. The handler's middleware ends the claim
// after the handler answered (Prepare, Settle).
type IdemClaim struct {
	svc       *IdempotencyService
	userID    int64
	key, hash string // the key as the client sent it; the request's fingerprint
	state     claimState
	body      []byte
}

type claimState int

const (
	claimOpen     claimState = iota // nothing done yet
	claimStored                     // recorded with the answer in the create's transaction
	claimOwned                      // claimed by Begin: Finish or Abandon after answering
	claimAnswered                   // Begin answered (a replay or an error): nothing to store
)

// Replayed is the stored answer of an earlier request with the same key,
// returned as an error by a create that found it: the handler sends it as
// it is (Idempotent-Replayed: true).
type Replayed struct{ Replay }

func (r *Replayed) Error() string { return "idempotency: replayed answer" }

// Claim checks key and makes the claim of a request whose fingerprint is
// hash, for WithClaim.
func (s *IdempotencyService) Claim(userID int64, key, hash string) (*IdemClaim, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return &IdemClaim{svc: s, userID: userID, key: key, hash: hash}, nil
}

type claimCtxKey struct{}

// WithClaim hands claim to the create method serving ctx.
func WithClaim(ctx context.Context, c *IdemClaim) context.Context {
	return context.WithValue(ctx, claimCtxKey{}, c)
}

func claimOf(ctx context.Context) *IdemClaim {
	c, _ := ctx.Value(claimCtxKey{}).(*IdemClaim)
	return c
}

// StoredAnswer is the answer recorded with the key in the create's own
// transaction, to be sent byte for byte (nil when there is none).
func StoredAnswer(ctx context.Context) []byte {
	if c := claimOf(ctx); c != nil && c.state == claimStored {
		return c.body
	}
	return nil
}

// record stores the key with its answer in tx. A key already there (an
// earlier or concurrent request) is errSlowPath: the caller rolls back and
// claims the usual way, which replays, refuses or waits.
func (c *IdemClaim) record(tx *gorm.DB, status int, body []byte) error {
	sealed, err := c.svc.pii.Seal(string(body))
	if err != nil {
		return err
	}
	now := c.svc.clock.Now()
	rec := model.IdempotencyRecord{UserID: c.userID, Key: storedKey(c.key), RequestHash: c.hash, State: idempotencyStateCompleted,
		StatusCode: status, ResponseBody: []byte(sealed), Sealed: true, CreatedAt: now, ExpiresAt: now.Add(c.svc.ttl)}
	if err := tx.Create(&rec).Error; err != nil {
		if isDuplicate(err) {
			return errSlowPath
		}
		return err
	}
	c.body = body
	return nil
}

// begin claims the key the usual way (Begin): a replay comes back as
// *Replayed, a refusal as its error.
func (c *IdemClaim) begin(ctx context.Context) error {
	replay, err := c.svc.Begin(ctx, c.userID, c.key, c.hash)
	switch {
	case err != nil:
		c.state = claimAnswered
		return err
	case replay != nil:
		c.state = claimAnswered
		return &Replayed{*replay}
	}
	c.state = claimOwned
	return nil
}

// Prepare is called once the handler answered with status, before the
// answer is sent. A request that ended before its create (bad input) claims
// the key now, as the idempotent middleware would have before it ran: an
// earlier answer comes back to be sent instead, a refusal as its error.
func (c *IdemClaim) Prepare(ctx context.Context, status int) (*Replay, error) {
	if c.state != claimOpen || status >= 500 || status == 429 {
		return nil, nil
	}
	replay, err := c.svc.Begin(ctx, c.userID, c.key, c.hash)
	if err == nil && replay == nil {
		c.state = claimOwned
	}
	return replay, err
}

// Settle stores the answer of a key claimed the usual way (Finish), or
// forgets it after a 5xx or 429 so a retry runs again (Abandon).
func (c *IdemClaim) Settle(ctx context.Context, status int, body []byte) error {
	if c.state != claimOwned {
		return nil
	}
	if status >= 500 || status == 429 {
		return c.svc.Abandon(ctx, c.userID, c.key)
	}
	return c.svc.Finish(ctx, c.userID, c.key, status, body)
}
