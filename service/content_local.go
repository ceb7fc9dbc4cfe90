package service

import (
	"context"
	"log/slog"
	"strings"
)

// Test words of the local content checker (README "Circles"): a text
// holding one of them gets that verdict, as if WeChat had said so.
const (
	LocalCheckReviewWord = "测试复核" // → review: stored as pending_review for staff
	LocalCheckRiskyWord  = "测试风险" // → risky: 422 content_rejected
)

// LocalContentChecker stands in for WeChat's msgSecCheck in dev when no
// WeChat credentials are configured (app.New picks it and says so in the
// start-up log; prod refuses to start without credentials): without it every
// post would wait in pending_review for a WeChat that never answers. It
// answers risky for the blocked words (BLOCKED_WORDS) and the risky test
// word, review for the review test word, pass for everything else.
type LocalContentChecker struct {
	blocked *blockList
}

// NewLocalContentChecker builds the checker on the configured blocked words.
func NewLocalContentChecker(blockedWords []string, log *slog.Logger) *LocalContentChecker {
	return &LocalContentChecker{blocked: newBlockList(blockedWords, log)}
}

// CheckText gives the local verdict; it never fails.
func (c *LocalContentChecker) CheckText(_ context.Context, _ string, _ TextScene, content string) (TextVerdict, error) {
	text := normalizeForMatch(content)
	switch {
	case c.blocked.match(content), strings.Contains(text, LocalCheckRiskyWord):
		return VerdictRisky, nil
	case strings.Contains(text, LocalCheckReviewWord):
		return VerdictReview, nil
	}
	return VerdictPass, nil
}
