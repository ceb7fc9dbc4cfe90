package service

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The WHO Child Growth Standards (WHO Multicentre Growth Reference Study,
// 2006), as monthly LMS tables, shipped with the code in growthdata/:
//
//   - wfa_{boys,girls}.tsv: weight-for-age, 0–60 months (WHO "Weight-for-age
//     boys/girls, z-scores, birth to 5 years" tables, columns Month L M S).
//   - lhfa_{boys,girls}.tsv: length-for-age, 0–24 months (recumbent length).
//   - hcfa_{boys,girls}.tsv: head circumference-for-age, 0–24 months.
//
// The 0–24-month L, M, S values are the ones the US CDC republishes for its
// WHO-based charts (cdc.gov/growthcharts/who_charts.htm, file WHOlong.csv);
// the 25–60-month weight values are WHO's tab_wfa_{boys,girls}_z_0_5 rows.
// Both were checked row by row against each other for 0–24 months, and the
// test TestGrowth_PublishedValues recomputes WHO's published −2/0/+2 SD
// columns from them. Not shipped (not obtained here): height-for-age after 24
// months, head circumference after 24 months, weight-for-length/height; those
// indicators answer null z-scores outside their table. China's WS/T 423-2022
// tables were not available here.
//
// To update: replace the .tsv files (tab-separated month, L, M, S; one row
// per completed month) and rebuild; GrowthStandardsVersion names the edition.
const GrowthStandardsVersion = "WHO-2006"

//go:embed growthdata/*.tsv
var growthFiles embed.FS

// Growth indicators.
const (
	IndicatorWeightForAge = "weight_for_age"
	IndicatorLengthForAge = "length_for_age"
	IndicatorHeadForAge   = "head_for_age"
)

// GrowthIndicators lists the indicators with shipped tables.
var GrowthIndicators = []string{IndicatorWeightForAge, IndicatorLengthForAge, IndicatorHeadForAge}

var indicatorFile = map[string]string{
	IndicatorWeightForAge: "wfa", IndicatorLengthForAge: "lhfa", IndicatorHeadForAge: "hcfa",
}

// lms is one row of a table.
type lms struct{ L, M, S float64 }

// growthTables: indicator → sex ("male"/"female") → month → LMS.
type growthTables map[string]map[string][]lms

func loadGrowthTables() (growthTables, error) {
	out := growthTables{}
	for ind, file := range indicatorFile {
		out[ind] = map[string][]lms{}
		for sex, suffix := range map[string]string{"male": "boys", "female": "girls"} {
			raw, err := growthFiles.ReadFile("growthdata/" + file + "_" + suffix + ".tsv")
			if err != nil {
				return nil, err
			}
			rows, err := parseLMS(raw)
			if err != nil {
				return nil, fmt.Errorf("growthdata %s_%s: %w", file, suffix, err)
			}
			out[ind][sex] = rows
		}
	}
	return out, nil
}

func parseLMS(raw []byte) ([]lms, error) {
	var rows []lms
	sc := bufio.NewScanner(bytes.NewReader(raw))
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first || line == "" {
			first = false
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %q: want 4 columns", line)
		}
		var v [4]float64
		for i, s := range f {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			v[i] = x
		}
		if int(v[0]) != len(rows) {
			return nil, fmt.Errorf("line %q: months must run 0, 1, 2 …", line)
		}
		rows = append(rows, lms{L: v[1], M: v[2], S: v[3]})
	}
	return rows, sc.Err()
}

// at returns the LMS at an age in months (fractional), interpolated linearly
// between monthly rows; ok is false outside the table.
func (t growthTables) at(indicator, sex string, months float64) (lms, bool) {
	rows := t[indicator][sex]
	if len(rows) == 0 || months < 0 || months > float64(len(rows)-1) {
		return lms{}, false
	}
	i := int(math.Floor(months))
	if i >= len(rows)-1 {
		return rows[len(rows)-1], true
	}
	f := months - float64(i)
	a, b := rows[i], rows[i+1]
	return lms{L: a.L + f*(b.L-a.L), M: a.M + f*(b.M-a.M), S: a.S + f*(b.S-a.S)}, true
}

// zScore is the LMS z-score of x (Cole & Green 1992), with WHO's
// restricted application beyond ±3 SD for weight (the distance past ±3 is
// measured in units of the 2–3 SD gap, as the WHO igrowup software does).
func zScore(p lms, x float64) float64 {
	z := lmsZ(p, x)
	if p.L == 1 { // length and head: normal, no adjustment
		return z
	}
	if z > 3 {
		sd3, sd2 := lmsValue(p, 3), lmsValue(p, 2)
		return 3 + (x-sd3)/(sd3-sd2)
	}
	if z < -3 {
		sd3, sd2 := lmsValue(p, -3), lmsValue(p, -2)
		return -3 + (x-sd3)/(sd2-sd3)
	}
	return z
}

func lmsZ(p lms, x float64) float64 {
	if p.L == 0 {
		return math.Log(x/p.M) / p.S
	}
	return (math.Pow(x/p.M, p.L) - 1) / (p.L * p.S)
}

// lmsValue is the measurement at z-score z.
func lmsValue(p lms, z float64) float64 {
	if p.L == 0 {
		return p.M * math.Exp(p.S*z)
	}
	return p.M * math.Pow(1+p.L*p.S*z, 1/p.L)
}

// percentile of a z-score (0–100).
func percentile(z float64) float64 { return 50 * (1 + math.Erf(z/math.Sqrt2)) }

func round2(x float64) float64 { return math.Round(x*100) / 100 }
