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
// 2006), as LMS tables shipped with the code in growthdata/ (tab-separated:
// x, L, M, S; x evenly spaced):
//
//   - wfa_{boys,girls}.tsv: weight-for-age by completed month, 0–60 (WHO
//     "Weight-for-age, birth to 5 years" z-score tables).
//   - lhfa_{boys,girls}.tsv: length-for-age (recumbent), months 0–24.
//   - hfa_{boys,girls}.tsv: height-for-age (standing), months 24–60.
//   - hcfa_{boys,girls}.tsv: head circumference-for-age, months 0–60.
//   - wfl_{boys,girls}.tsv: weight-for-length, 45–110 cm by 0.1 cm (under 2 years).
//   - wfh_{boys,girls}.tsv: weight-for-height, 65–120 cm by 0.1 cm (2–5 years).
//
// Sources: the 0–24-month rows of wfa, lhfa and hcfa are the L, M, S the US
// CDC republishes for its WHO-based charts (WHOlong.csv); wfa 25–60 are the
// rows of WHO's tab_wfa_{boys,girls}_z_0_5. wfl and wfh are WHO's own tables
// as shipped in the WHO Anthro software and its R package
// (github.com/WorldHealthOrganization/anthro, data-raw/growthstandards/
// wflanthro.txt and wfhanthro.txt), copied row for row. The monthly rows of
// hfa (24–60) and hcfa (25–60) are WHO's daily tables from the same package
// (lenanthro.txt, hcanthro.txt: one row per day of age) read at WHO's month
// of 30.4375 days, linearly between the two days around it (month 60 from
// days 1825–1826, the last rows; hfa month 24 half a day before day 731, the
// first height row) — which is how WHO's own monthly tables are made: the
// same reading of lenanthro.txt gives the shipped lhfa month 23 (86.9410)
// and WHO's published height-for-age medians at 24 and 60 months (87.1161,
// 109.9638 for boys). TestGrowth_PublishedValues checks every table against
// WHO's published −2/0/+2 SD values. China's WS/T 423-2022 tables were not
// available here.
//
// To update: replace the .tsv files (same columns; a header line first) and
// rebuild; GrowthStandardsVersion names the edition.
const GrowthStandardsVersion = "WHO-2006"

//go:embed growthdata/*.tsv
var growthFiles embed.FS

// Growth indicators. Weight-for-length applies under 24 months (length
// measured lying down), weight-for-height from 24 months (height measured
// standing), as WHO's tables are built; a child of unknown age gets
// weight-for-length below 87 cm and weight-for-height from 87 cm (WHO Anthro's
// rule).
const (
	IndicatorWeightForAge    = "weight_for_age"
	IndicatorLengthForAge    = "length_for_age"
	IndicatorHeadForAge      = "head_for_age"
	IndicatorWeightForLength = "weight_for_length"
	IndicatorWeightForHeight = "weight_for_height"
)

// GrowthIndicators lists the indicators with shipped tables.
var GrowthIndicators = []string{IndicatorWeightForAge, IndicatorLengthForAge, IndicatorHeadForAge,
	IndicatorWeightForLength, IndicatorWeightForHeight}

// growthFilesByTable: table name → file prefix. Length-for-age is two tables
// (lying length to 24 months, standing height after).
var growthFilesByTable = map[string]string{
	"wfa": "wfa", "lhfa": "lhfa", "hfa": "hfa", "hcfa": "hcfa", "wfl": "wfl", "wfh": "wfh",
}

// heightFromDays: from this age (days) length-for-age uses standing height
// and weight-for-length becomes weight-for-height (WHO Anthro: 731 days).
const heightFromDays = 731

// lms is one row of a table.
type lms struct{ L, M, S float64 }

// lmsTable is a table with evenly spaced x (months or cm).
type lmsTable struct {
	start, step float64
	rows        []lms
}

func (t lmsTable) end() float64 { return t.start + t.step*float64(len(t.rows)-1) }

// growthTables: table → sex ("male"/"female") → table.
type growthTables map[string]map[string]lmsTable

func loadGrowthTables() (growthTables, error) {
	out := growthTables{}
	for tab, file := range growthFilesByTable {
		out[tab] = map[string]lmsTable{}
		for sex, suffix := range map[string]string{"male": "boys", "female": "girls"} {
			raw, err := growthFiles.ReadFile("growthdata/" + file + "_" + suffix + ".tsv")
			if err != nil {
				return nil, err
			}
			t, err := parseLMS(raw)
			if err != nil {
				return nil, fmt.Errorf("growthdata %s_%s: %w", file, suffix, err)
			}
			out[tab][sex] = t
		}
	}
	return out, nil
}

func parseLMS(raw []byte) (lmsTable, error) {
	var t lmsTable
	var xs []float64
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
			return t, fmt.Errorf("line %q: want 4 columns", line)
		}
		var v [4]float64
		for i, s := range f {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return t, fmt.Errorf("line %q: %w", line, err)
			}
			v[i] = x
		}
		xs = append(xs, v[0])
		t.rows = append(t.rows, lms{L: v[1], M: v[2], S: v[3]})
	}
	if len(xs) < 2 {
		return t, fmt.Errorf("want at least two rows")
	}
	t.start, t.step = xs[0], xs[1]-xs[0]
	for i, x := range xs {
		if math.Abs(x-(t.start+t.step*float64(i))) > 1e-6 {
			return t, fmt.Errorf("row %d (x = %v): x must be evenly spaced", i+1, x)
		}
	}
	return t, sc.Err()
}

// at returns the LMS at x, interpolated linearly between rows; ok is false
// outside the table.
func (t lmsTable) at(x float64) (lms, bool) {
	if len(t.rows) == 0 || x < t.start-1e-9 || x > t.end()+1e-9 {
		return lms{}, false
	}
	pos := (x - t.start) / t.step
	i := int(math.Floor(pos + 1e-9))
	if i >= len(t.rows)-1 {
		return t.rows[len(t.rows)-1], true
	}
	if i < 0 {
		i = 0
	}
	f := math.Max(0, pos-float64(i))
	a, b := t.rows[i], t.rows[i+1]
	return lms{L: a.L + f*(b.L-a.L), M: a.M + f*(b.M-a.M), S: a.S + f*(b.S-a.S)}, true
}

// ageTable picks the table of an age-based indicator at an age in months.
func ageTable(indicator string, months float64) string {
	switch indicator {
	case IndicatorWeightForAge:
		return "wfa"
	case IndicatorHeadForAge:
		return "hcfa"
	case IndicatorLengthForAge:
		if months*daysPerMonth >= heightFromDays {
			return "hfa"
		}
		return "lhfa"
	}
	return ""
}

// at returns the LMS of an age-based indicator at an age in months.
func (t growthTables) at(indicator, sex string, months float64) (lms, bool) {
	tab := ageTable(indicator, months)
	if tab == "" || months < 0 {
		return lms{}, false
	}
	return t[tab][sex].at(months)
}

// weightForLength returns the indicator (weight_for_length or
// weight_for_height) and LMS for a child of this age (months; hasAge false
// when the birth date is unknown) and length/height in cm.
func (t growthTables) weightForLength(sex string, months float64, hasAge bool, cm float64) (string, lms, bool) {
	height := months*daysPerMonth >= heightFromDays
	if !hasAge {
		height = cm >= 87
	}
	if height {
		p, ok := t["wfh"][sex].at(cm)
		return IndicatorWeightForHeight, p, ok
	}
	p, ok := t["wfl"][sex].at(cm)
	return IndicatorWeightForLength, p, ok
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
