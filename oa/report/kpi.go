package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/yimen/yimen/oa"
)

// How abandoned calls count in the service level (kpi.md: configurable
// and shown beside the figure).
const (
	// AbandonFailures: every abandon is a call not answered in time.
	AbandonFailures = "failures"
	// AbandonIgnored: abandoned calls are left out of the denominator.
	AbandonIgnored = "ignored"
	// AbandonShortExcluded: abandons after less than ShortAbandonS are
	// left out (the caller hung up before anyone could answer); longer
	// ones are failures.
	AbandonShortExcluded = "short_excluded"
)

// Thresholds are the waits (seconds) the interval tables count by: the
// service level's Y and the short-abandon T are chosen among them.
func Thresholds() []int { return []int{5, 10, 15, 20, 30, 60} }

// KPIConfig chooses the service level's definition.
type KPIConfig struct {
	SLSeconds     int    `json:"sl_seconds"`      // Y of "X % answered within Y s" (20)
	AbandonMethod string `json:"abandon_method"`  // failures, ignored, short_excluded
	ShortAbandonS int    `json:"short_abandon_s"` // T: an abandon under T s is short (5)
}

// WithDefaults fills unset fields: 20 s, short abandons excluded, 5 s.
func (c KPIConfig) WithDefaults() KPIConfig {
	if c.SLSeconds == 0 {
		c.SLSeconds = 20
	}
	if c.AbandonMethod == "" {
		c.AbandonMethod = AbandonShortExcluded
	}
	if c.ShortAbandonS == 0 {
		c.ShortAbandonS = 5
	}
	return c
}

// Check validates a config (after WithDefaults).
func (c KPIConfig) Check() error {
	bad := oa.FieldErrors{}
	if !slices.Contains(Thresholds(), c.SLSeconds) {
		bad["sl_seconds"] = fmt.Sprint("one of ", Thresholds())
	}
	if !slices.Contains(Thresholds(), c.ShortAbandonS) {
		bad["short_abandon_s"] = fmt.Sprint("one of ", Thresholds())
	}
	switch c.AbandonMethod {
	case AbandonFailures, AbandonIgnored, AbandonShortExcluded:
	default:
		bad["abandon_method"] = "failures, ignored or short_excluded"
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// Traffic are the sums a 客服话务统计 row is computed from.
type Traffic struct {
	Offered, Answered, Abandoned, ShortAbandoned, Overflowed int64
	AnsweredInSL                                             int64 // answered within SLSeconds of queueing
	WaitAnsweredS, WaitMaxS                                  int64
	Handled, Outbound                                        int64
	TalkS, HoldS, ACWS                                       int64 // TalkS is answer to end, hold included (as the CDR has it)
	LoggedInS, NotReadyS                                     int64
}

// TrafficKPI are a row's figures; a ratio with a zero denominator is nil.
type TrafficKPI struct {
	ServiceLevel *float64 `json:"service_level"`
	AnswerRate   *float64 `json:"answer_rate"`
	AbandonRate  *float64 `json:"abandon_rate"`
	ASA          *float64 `json:"asa_s"`
	AHT          *float64 `json:"aht_s"`
	Occupancy    *float64 `json:"occupancy"`
	TalkNetS     int64    `json:"talk_s"` // hold taken out
}

func ratio(n, d int64) *float64 {
	if d <= 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)*10000) / 10000
	return &v
}

// KPIs computes a row's figures by the formulas Formulas states.
func (t Traffic) KPIs(c KPIConfig) TrafficKPI {
	c = c.WithDefaults()
	den := t.Offered
	switch c.AbandonMethod {
	case AbandonIgnored:
		den = t.Offered - t.Abandoned
	case AbandonShortExcluded:
		den = t.Offered - t.ShortAbandoned
	}
	talk := t.TalkS - t.HoldS
	k := TrafficKPI{ServiceLevel: ratio(t.AnsweredInSL, den), AnswerRate: ratio(t.Answered, t.Offered), AbandonRate: ratio(t.Abandoned, t.Offered),
		ASA: ratio(t.WaitAnsweredS, t.Answered), AHT: ratio(talk+t.HoldS+t.ACWS, t.Handled), TalkNetS: talk}
	k.Occupancy = ratio(talk+t.HoldS+t.ACWS, t.LoggedInS-t.NotReadyS)
	return k
}

// Formulas are the traffic report's formulas, as printed beside it.
func Formulas(c KPIConfig) map[string]string {
	c = c.WithDefaults()
	sl := map[string]string{
		AbandonFailures:      fmt.Sprintf("服务水平 = 排队 %d 秒内接听数 ÷ 进线数（放弃均计为未达标）", c.SLSeconds),
		AbandonIgnored:       fmt.Sprintf("服务水平 = 排队 %d 秒内接听数 ÷ (进线数 − 放弃数)（放弃不计）", c.SLSeconds),
		AbandonShortExcluded: fmt.Sprintf("服务水平 = 排队 %d 秒内接听数 ÷ (进线数 − %d 秒内放弃数)（短放弃不计，其余放弃计为未达标）", c.SLSeconds, c.ShortAbandonS),
	}[c.AbandonMethod]
	return map[string]string{
		"offered":       "进线数 = 进入队列的呼叫数（只经过 IVR 的呼叫不计）",
		"service_level": sl,
		"answer_rate":   "接通率 = 坐席接听数 ÷ 进线数",
		"abandon_rate":  fmt.Sprintf("放弃率 = 排队中放弃数 ÷ 进线数；短放弃（< %d 秒）另列", c.ShortAbandonS),
		"asa_s":         "平均应答速度 ASA = 接听呼叫的排队等待之和 ÷ 接听数",
		"aht_s":         "平均处理时长 AHT = (通话 + 保持 + 话后处理) ÷ 处理数；通话 = 应答至挂机 − 保持",
		"occupancy":     "占用率 = (通话 + 保持 + 话后处理) ÷ (登录时长 − 示忙时长)",
		"not_ready":     "示忙时长按原因：每个状态从其变化时刻计至下一次变化，按 15 分钟区间切分",
		"interval":      "呼叫计入其开始时刻所在的 15 分钟区间；状态时长按区间切分；报表期间取整到 15 分钟区间（起点向下、终点向上）",
	}
}
