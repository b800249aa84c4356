#!/usr/bin/env python3
"""Collects one load step's files into a JSON line, judges it, and renders tables.

usage:
  steps.py record  STEPS.jsonl SCENARIO SYSTEM PARAM DIR   append one step
  steps.py passed  DIR TARGET [MAX_RETRANS_PCT]            exit 0 if the step is clean
  steps.py table   STEPS.jsonl SCENARIO                    markdown on stdout
  steps.py others  DIR                                     CPU % others used in the window
  steps.py metrics FILE.prom                               {name: sum over labels}
  steps.py rtt     DIR                                     SIPp *_rtt.csv -> DIR/rtt.json
  steps.py queuecdrs DIR AGENTS                            DIR/cdrs.json -> queue figures on stdout
  steps.py plotdata STEPS.jsonl SCENARIO OUTDIR            one .dat per system for plot.sh
  steps.py compare BEFORE.jsonl AFTER.jsonl                yimen's concurrent steps of two runs side by side

A step directory holds what the bench scripts left there: summary.json (the
kit's sippstat.py), cpu.json (the kit's sample.py), optionally idle.json,
m0.prom / m1.prom (yimen /metrics at the start and end of the CPU window),
udp_drops.json (the kit's udpdrops.py), SIPp's *_errors.log files, rtt.json
(response-time percentiles of the calls, from SIPp's -trace_rtt), flood.json
(bench/cmd/flood's summary), kam0.txt / kam1.txt (Kamailio's counters and ban
list at both ends of a step) and queue.json / cti.json (bench/queue.sh).
"""
import json
import os
import sys

# Gauges reported as their value at the end of the window; every other
# yimen_* series is a counter reported as its increase over the window.
GAUGES = ('go_goroutines', 'process_open_fds', 'process_resident_memory_bytes',
          'go_memstats_heap_inuse_bytes', 'yimen_calls_active', 'yimen_rtp_ports_in_use',
          'yimen_sip_registered_contacts')


def load(d, name):
    try:
        with open(os.path.join(d, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def prom(path):
    """Sums a Prometheus text exposition by metric name (labels folded)."""
    out = {}
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        if not line or line[0] == '#':
            continue
        name_labels, _, value = line.rpartition(' ')
        name = name_labels.split('{', 1)[0]
        try:
            out[name] = out.get(name, 0.0) + float(value)
        except ValueError:
            continue
    return out


def labelled(path, metric):
    """{label value: value} of one single-label metric in a Prometheus file."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(metric + '{'):
                    labels, _, value = line.rstrip().rpartition(' ')
                    out[labels.split('"')[1]] = float(value)
    except (OSError, ValueError, IndexError):
        pass
    return out


def kam_stats(path):
    """Kamailio's 'kamcmd stats.get_statistics all' lines ("grp:name = N")."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.strip().strip('"').partition(' = ')
                if sep:
                    try:
                        out[k.strip()] = int(v)
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def percentiles(vals):
    out = dict(n=len(vals))
    if vals:
        vals = sorted(vals)
        for q in (50, 90, 99):
            out[f'p{q}_ms'] = round(vals[min(len(vals) - 1, int(len(vals) * q / 100))], 2)
        out['max_ms'] = round(vals[-1], 2)
        out['mean_ms'] = round(sum(vals) / len(vals), 2)
    return out


def rtt(d, less_ms=None):
    """Percentiles of SIPp's per-call response times (-trace_rtt), by rtd
    number: rtd 1 is the set-up (first INVITE to the 200, the digest
    challenge's round trip included), written at the top level of rtt.json;
    others go under 'rtdN'. With less_ms, prints rtd 2 less that much as the
    queue wait (bench/queue.sh)."""
    by = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith('_rtt.csv'):
            continue
        with open(os.path.join(d, f)) as fh:
            head = [h.strip().lower() for h in fh.readline().strip().split(';')]
            col = next((i for i, h in enumerate(head) if 'response_time' in h), 1)
            no = next((i for i, h in enumerate(head) if 'rtd' in h), None)
            for line in fh:
                p = line.strip().split(';')
                try:
                    v = float(p[col])
                except (IndexError, ValueError):
                    continue
                k = ''.join(c for c in p[no] if c.isdigit()) if no is not None and no < len(p) else '1'
                by.setdefault(k or '1', []).append(v)
    out = percentiles(by.pop('1', []))
    for k, v in by.items():
        out['rtd' + k] = percentiles(v)
    with open(os.path.join(d, 'rtt.json'), 'w') as f:
        json.dump(out, f)
    if less_ms is not None:
        w = percentiles([max(0.0, v - less_ms) for v in by.get('2', [])])
        print(json.dumps({'wait_' + k: v for k, v in w.items()}))
    return out


def rfc3339_s(v):
    """Seconds since the epoch of the CDR API's RFC 3339 (nanosecond) times."""
    from datetime import datetime
    if not v:
        return None
    head, _, frac = v.rstrip('Z').partition('.')
    t = datetime.strptime(head, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=__import__('datetime').timezone.utc)
    return t.timestamp() + (float('0.' + frac) if frac else 0.0)


def queue_records(d):
    """The step's per-call queue records: the CDR API's answer (DIR/cdrs.json)
    when it is a list of CDRs, else the ACD's acd_log rows (DIR/acd_calls.json,
    the last record of each call, as the CDR API summarises them), both as
    CDR-shaped dicts; acd_log's at_ms of an answered call is the pickup."""
    try:
        with open(os.path.join(d, 'cdrs.json')) as f:
            cdrs = json.load(f)
        if isinstance(cdrs, list):
            return cdrs
        print(f'{d}/cdrs.json is not a list of CDRs ({str(cdrs)[:100]}): using acd_log', file=sys.stderr)
    except (OSError, ValueError):
        pass
    with open(os.path.join(d, 'acd_calls.json')) as f:
        text = f.read().strip()
    last = {}
    for r in json.loads(text) if text else []:
        last[r['call_id']] = r
    return [{'pickup_s': r['at_ms'] / 1000.0,
             'queue': {'outcome': r['outcome'], 'wait_ms': r['wait_ms'], 'agent': r.get('agent')}}
            for r in last.values()]


def queuecdrs(d, agents):
    """Queue figures of a bench/queue.sh step (queue_records): wait
    percentiles (queue.wait_ms) of the calls an agent answered and of all, the
    count of each outcome, and the agents' pickup rate: pickups (answer + wait)
    from the (agents+1)th to the last, so only once every agent has had a call
    (at or above capacity: the agents' throughput)."""
    cdrs = queue_records(d)
    outcomes, waits, waits_all, pickups = {}, [], [], []
    for c in cdrs:
        q = c.get('queue') or {}
        o = q.get('outcome') or 'none'
        outcomes[o] = outcomes.get(o, 0) + 1
        w = q.get('wait_ms')
        if w is None:
            continue
        waits_all.append(float(w))
        if o == 'answered':
            waits.append(float(w))
            if 'pickup_s' in c:
                pickups.append(c['pickup_s'])
                continue
            a = rfc3339_s(c.get('answer')) or rfc3339_s(c.get('start'))
            if a is not None:
                pickups.append(a + w / 1000.0)
    out = {'cdrs': len(cdrs), 'outcomes': outcomes,
           'abandoned': outcomes.get('abandoned', 0)}
    out.update({'wait_' + k: v for k, v in percentiles(waits).items()})
    out['wait_all'] = percentiles(waits_all)
    pickups.sort()
    busy = pickups[agents:] if len(pickups) > agents + 1 else pickups
    if len(busy) > 1 and busy[-1] > busy[0]:
        out['handled_per_s'] = round((len(busy) - 1) / (busy[-1] - busy[0]), 2)
        out['handled_span_s'] = round(busy[-1] - busy[0], 1)
    print(json.dumps(out))
    return out


def unexpected_msgs(d):
    """Counts SIPp's 'unexpected message' errors: a 180 overtaken by the 200."""
    n = 0
    for f in os.listdir(d):
        if f.endswith('_errors.log'):
            with open(os.path.join(d, f), errors='replace') as fh:
                n += fh.read().count('on unexpected message')
    return n


def record(steps, scenario, system, param, d):
    s, cpu, idle = load(d, 'summary.json'), load(d, 'cpu.json'), load(d, 'idle.json')
    m0, m1 = prom(os.path.join(d, 'm0.prom')), prom(os.path.join(d, 'm1.prom'))
    m_idle = prom(os.path.join(d, 'm_idle.prom'))
    window = cpu.get('window_s') or 0
    row = dict(scenario=scenario, system=system, param=int(param), dir=d, stats=s,
               window_s=window, box=cpu.get('box_cpu_pct', {}), udp_per_s=cpu.get('udp_per_s', {}),
               unexpected=unexpected_msgs(d), udp_drops=load(d, 'udp_drops.json'))
    for name in ('yimen', 'kamailio', 'rtpengine', 'sipp', 'uas', 'flood', 'cti'):
        if name in cpu:
            row[name] = cpu[name]
        if name in idle:
            row[name + '_idle'] = idle[name]
    row['others_cpu'] = others_cpu(cpu)
    for name in ('recordings_files', 'recordings_bytes'):
        try:
            with open(os.path.join(d, name)) as f:
                row[name] = int(f.read().strip())
        except (OSError, ValueError):
            pass
    # The generators' own reports; their CPU is under 'flood' and 'cti'.
    for name, key in (('rtt', 'rtt'), ('flood', 'flood_out'), ('queue', 'queue'), ('cti', 'cti_out')):
        v = load(d, name + '.json')
        if v:
            row[key] = v
    k0, k1 = kam_stats(os.path.join(d, 'kam0.txt')), kam_stats(os.path.join(d, 'kam1.txt'))
    if k1:
        row['kam_delta'] = {k: k1[k] - k0.get(k, 0) for k in k1 if k1[k] != k0.get(k, 0)}
        row['kam_end'] = {k: k1[k] for k in ('ipban_entries',) if k in k1}
    start = os.path.join(d, 'm_start.prom')
    start = start if os.path.exists(start) else os.path.join(d, 'm0.prom')
    g0 = labelled(start, 'yimen_guard_dropped_total')
    g1 = labelled(os.path.join(d, 'm_end.prom'), 'yimen_guard_dropped_total')
    if g1:
        row['guard_dropped'] = {k: v - g0.get(k, 0) for k, v in g1.items()}
        end = prom(os.path.join(d, 'm_end.prom'))
        row['guard_end'] = {k: end[k] for k in ('yimen_guard_active_bans', 'yimen_guard_bans_total',
                                                'yimen_sip_auth_failures_total') if k in end}
        row['auth_failures'] = end.get('yimen_sip_auth_failures_total', 0) - prom(start).get(
            'yimen_sip_auth_failures_total', 0)
    if 'go_memstats_heap_inuse_bytes' in m_idle:
        row['heap_idle'] = m_idle['go_memstats_heap_inuse_bytes']
    if 'rtpengine_relayed_pps' in cpu:
        row['relayed_pps'] = cpu['rtpengine_relayed_pps']
        row['relay_errors'] = cpu.get('rtpengine_relayed_packet_errors')
        row['sessions'] = cpu.get('rtpengine_sessions')
    if m1:
        row['metrics_end'] = {k: m1[k] for k in GAUGES if k in m1}
        row['metrics_delta'] = {k: m1[k] - m0.get(k, 0.0) for k in m1
                                if k.startswith('yimen_') and k not in GAUGES and m1[k] != m0.get(k, 0.0)}
        if window and m0:
            row['relayed_pps'] = round(row['metrics_delta'].get('yimen_rtp_packets_relayed_total', 0) / window, 1)
            row['relay_dropped'] = row['metrics_delta'].get('yimen_rtp_packets_dropped_total', 0)
    with open(steps, 'a') as f:
        f.write(json.dumps(row) + '\n')
    return row


def others_cpu(cpu):
    """CPU % the rest of the box used during the window: other people's work.

    In this VM /proc/stat loses busy ticks but not idle ones, so the box's
    work is what idle leaves of the whole, not the sum of the busy fields.
    """
    box = cpu.get('box_cpu_pct')
    if not box:
        return None
    ours = sum(v.get('cpu_pct', 0) for v in cpu.values() if isinstance(v, dict) and 'nproc' in v)
    work = 100 * (os.cpu_count() or 1) - box.get('idle', 0) - box.get('iowait', 0)
    return round(max(0.0, work - ours), 1)


def clean(s, target, max_retrans_pct=None):
    """The kit's pass rule, plus an optional ceiling on retransmissions."""
    created = s.get('created') or 0
    ok = (created > 0 and (s.get('fail_pct') or 0) < 0.1 and s.get('unfinished', 1) == 0
          and (s.get('steady_median_rate') or 0) >= 0.97 * target)
    if ok and max_retrans_pct is not None:
        ok = 100.0 * (s.get('retransmissions') or 0) / created <= max_retrans_pct
    return ok


def passed(d, target, max_retrans_pct=None):
    return clean(load(d, 'summary.json'), float(target), max_retrans_pct)


# ---- rendering -------------------------------------------------------------

def f1(x):
    return '' if x is None or x == '' else f'{x:.1f}' if isinstance(x, float) else str(x)


def n0(x):
    return '' if x is None or x == '' else f'{x:.0f}'


def mb(kb):
    return '' if not kb else f'{kb / 1024:.0f}'


def cpu(row, name):
    """CPU % of a sampled process tree; a tree that ended inside the window
    (its ticks went missing) has no figure."""
    v = row.get(name, {}).get('cpu_pct')
    return None if v is not None and v < 0 else v


def server_cpu(row):
    """CPU% of the system under test: yimen's process, or Kamailio + rtpengine."""
    if row['system'] == 'yimen':
        return cpu(row, 'yimen')
    k, r = cpu(row, 'kamailio'), cpu(row, 'rtpengine')
    return None if k is None else round(k + (r or 0), 1)


def retrans_pct(s):
    c = s.get('created') or 0
    return 100.0 * (s.get('retransmissions') or 0) / c if c else 0.0


def md(header, rows):
    out = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    out += ['| ' + ' | '.join(str(c) for c in r) + ' |' for r in rows]
    return '\n'.join(out)


def ratio(a, b):
    return f'{a / b:.2f}' if a and b else ''


def best(rows, system, max_retrans_pct=None):
    """Highest target that passed for one system."""
    ok = [r['param'] for r in rows if r['system'] == system
          and clean(r['stats'], r['param'], max_retrans_pct)]
    return max(ok) if ok else None


def table_register(rows):
    head = ['system', 'target reg/s', 'achieved (median 1 s)', 'min 1 s', 'failed', 'retrans (%)',
            'server CPU %', 'SIPp CPU %', 'others CPU %', 'server RSS / PSS MB', 'clean']
    body = []
    for r in rows:
        s = r['stats']
        mem = r.get('yimen') or r.get('kamailio') or {}
        body.append([r['system'], r['param'], f1(s.get('steady_median_rate')), f1(s.get('steady_min_rate')),
                     s.get('failed', ''), f"{s.get('retransmissions', '')} ({retrans_pct(s):.2f})",
                     f1(server_cpu(r)), f1(cpu(r, 'sipp')), f1(r.get('others_cpu')),
                     f"{mb(mem.get('rss_kb'))} / {mb(mem.get('pss_kb'))}",
                     'yes' if clean(s, r['param'], 0.1) else 'no'])
    return md(head, body) + '\n\n' + side_by_side(rows, 'reg/s', 0.1)


def table_calls(rows):
    head = ['system', 'target CPS', 'achieved (median 1 s)', 'min 1 s', 'failed', 'retrans', 'late 180',
            'server CPU % (SIP + relay)', 'SIPp UAC + UAS CPU %', 'others CPU %', 'server RSS / PSS MB', 'clean']
    body = []
    for r in rows:
        s = r['stats']
        if r['system'] == 'yimen':
            c = f1(cpu(r, 'yimen'))
            mem = f"{mb(r.get('yimen', {}).get('rss_kb'))} / {mb(r.get('yimen', {}).get('pss_kb'))}"
        else:
            c = f"{f1(server_cpu(r))} ({f1(cpu(r, 'kamailio'))} + {f1(cpu(r, 'rtpengine'))})"
            mem = (f"{mb(r.get('kamailio', {}).get('rss_kb'))} / {mb(r.get('kamailio', {}).get('pss_kb'))}"
                   f" + rtpengine {mb(r.get('rtpengine', {}).get('rss_kb'))}")
        body.append([r['system'], r['param'], f1(s.get('steady_median_rate')), f1(s.get('steady_min_rate')),
                     s.get('failed', ''), s.get('retransmissions', ''), r.get('unexpected', ''), c,
                     f"{f1(cpu(r, 'sipp'))} + {f1(cpu(r, 'uas'))}", f1(r.get('others_cpu')), mem,
                     'yes' if clean(s, r['param']) else 'no'])
    return md(head, body) + '\n\n' + side_by_side(rows, 'calls/s', None)


def side_by_side(rows, unit, max_retrans_pct):
    """yimen beside Kamailio at each rate both ran, and the best rate of each."""
    by = {}
    for r in rows:
        by.setdefault(r['param'], {})[r['system']] = r
    body = []
    for p in sorted(by):
        y, k = by[p].get('yimen'), by[p].get('kamailio')
        if not (y and k):
            continue
        yc, kc = server_cpu(y), server_cpu(k)
        body.append([p, f1(y['stats'].get('steady_median_rate')), f1(k['stats'].get('steady_median_rate')),
                     f1(yc), f1(kc), ratio(kc, yc)])
    out = ''
    if body:
        out = md([f'target {unit}', 'yimen achieved', 'Kamailio achieved', 'yimen CPU %',
                  'Kamailio(+rtpengine) CPU %', 'CPU ratio Kamailio / yimen'], body) + '\n\n'
    systems = [s for s in ('yimen', 'kamailio') if any(r['system'] == s for r in rows)]
    hi = {s: best(rows, s, max_retrans_pct) for s in systems}
    out += 'Highest clean rate: ' + ', '.join(f'{s} {hi[s] or "none"} {unit}' for s in systems)
    if hi.get('yimen') and hi.get('kamailio'):
        out += f"; ratio yimen / Kamailio {hi['yimen'] / hi['kamailio']:.2f}"
    return out + '\n'


def table_concurrent(rows):
    head = ['system', 'calls N', 'calls up', 'relayed pkt/s (expected)', 'relay loss %',
            'relay CPU %', 'SIP CPU %', 'relay RSS idle → N MB', 'KB per call', 'heap KB per call',
            'goroutines', 'open fds', 'dropped (metrics)', 'relay socket drops', 'SIPp UAC + UAS CPU %',
            'others CPU %', 'failed calls']
    body = []
    for r in rows:
        n, s = r['param'], r['stats']
        exp = n * 100
        got = r.get('relayed_pps')
        loss = f'{max(0.0, 100.0 * (1 - got / exp)):.2f}' if got is not None and exp else ''
        if r['system'] == 'yimen':
            relay, sip, proc = cpu(r, 'yimen'), 'incl.', 'yimen'
        else:
            relay, sip, proc = cpu(r, 'rtpengine'), f1(cpu(r, 'kamailio')), 'rtpengine'
        rss0 = r.get(proc + '_idle', {}).get('rss_kb')
        rss1 = r.get(proc, {}).get('rss_kb')
        per = f'{(rss1 - rss0) / n:.0f}' if rss0 and rss1 else ''
        me = r.get('metrics_end', {})
        heap = ''
        if 'go_memstats_heap_inuse_bytes' in me and r.get('heap_idle'):
            heap = f"{(me['go_memstats_heap_inuse_bytes'] - r['heap_idle']) / 1024 / n:.1f}"
        up = n0(me.get('yimen_calls_active', r.get('sessions')))
        body.append([r['system'], n, up, f"{f1(got)} ({exp})", loss, f1(relay), sip,
                     f'{mb(rss0)} → {mb(rss1)}', per, heap, n0(me.get('go_goroutines', '')),
                     n0(me.get('process_open_fds', '')), n0(r.get('relay_dropped', r.get('relay_errors', ''))),
                     r.get('udp_drops', {}).get('rtpengine_ports', ''),
                     f"{f1(cpu(r, 'sipp'))} + {f1(cpu(r, 'uas'))}", f1(r.get('others_cpu')), s.get('failed', '')])
    if any('recordings_files' in r for r in rows):
        head.append('recordings (files, MB)')
        for r, b in zip(rows, body):
            b.append(f"{r.get('recordings_files', '')}, {mb((r.get('recordings_bytes') or 0) / 1024)}")
    out = md(head, body) + '\n\n'
    by = {}
    for r in rows:
        by.setdefault(r['param'], {})[r['system']] = r
    cmp_rows = []
    for n in sorted(by):
        y, k = by[n].get('yimen'), by[n].get('kamailio')
        if y and k:
            yc, kc = cpu(y, 'yimen'), cpu(k, 'rtpengine')
            cmp_rows.append([n, f1(yc), f1(kc), ratio(kc, yc)])
    if cmp_rows:
        out += md(['calls N', 'yimen CPU % (SIP + relay)', 'rtpengine CPU %', 'ratio rtpengine / yimen'],
                  cmp_rows) + '\n'
    return out


def compare_concurrent(before, after):
    """yimen's concurrent-call steps of two runs (two revisions) per N: CPU,
    loss, memory per call and goroutines, with the ratio after / before."""
    def rows(path):
        with open(path) as f:
            rs = [json.loads(l) for l in f if l.strip()]
        return {r['param']: r for r in rs if r['scenario'] == 'concurrent' and r['system'] == 'yimen'}

    def fig(r):
        n = r['param']
        got = r.get('relayed_pps')
        loss = max(0.0, 100.0 * (1 - got / (n * 100))) if got is not None else None
        rss0, rss1 = r.get('yimen_idle', {}).get('rss_kb'), r.get('yimen', {}).get('rss_kb')
        me = r.get('metrics_end', {})
        c = cpu(r, 'yimen')
        return dict(cpu=c, loss=loss, got=got, per_k=c / (got / 1000) if c and got else None, kb=(rss1 - rss0) / n if rss0 and rss1 else None,
                    gor=me.get('go_goroutines'), others=r.get('others_cpu'),
                    failed=r['stats'].get('failed', ''), drops=r.get('relay_dropped'))
    b, a = rows(before), rows(after)
    body = []
    for n in sorted(set(b) & set(a)):
        x, y = fig(b[n]), fig(a[n])
        pct = lambda v: '' if v is None else f'{v:.2f}'
        body.append([n, f"{f1(x['cpu'])} → {f1(y['cpu'])}", ratio(y['cpu'], x['cpu']),
                     f"{f1(x['got'])} → {f1(y['got'])}", f"{pct(x['per_k'])} → {pct(y['per_k'])}",
                     f"{pct(x['loss'])} → {pct(y['loss'])}",
                     f"{n0(x['drops'])} → {n0(y['drops'])}",
                     f"{n0(x['kb'])} → {n0(y['kb'])}", f"{n0(x['gor'])} → {n0(y['gor'])}",
                     f"{x['failed']} → {y['failed']}", f"{f1(x['others'])} / {f1(y['others'])}"])
    return md(['calls N', 'yimen CPU % before → after', 'ratio after / before', 'relayed pkt/s',
               'CPU % per 1000 pkt/s relayed', 'relay loss % before → after',
               'dropped (metrics)', 'RSS KB per call', 'goroutines', 'failed calls', 'others CPU % (box)'],
              body) + '\n'


def success_pct(s):
    c = s.get('created') or 0
    return f"{100.0 * (s.get('successful') or 0) / c:.2f}" if c else ''


def table_flood(rows):
    head = ['system', 'flood msg/s (sent)', 'legit calls ok / placed', 'success %', 'legit median 1 s',
            'set-up p50 / p99 / max ms', 'retrans', 'server CPU %', 'flood gen CPU %', 'others CPU %',
            'flood answered', 'flood dropped by guard (banned / rate / scanner)', 'bans (active)',
            'digest failures', 'server RSS MB']
    body = []
    for r in rows:
        s, t, fl = r['stats'], r.get('rtt', {}), r.get('flood_out', {})
        sent = fl.get('sent')
        answered = sum(fl.get('answers', {}).values()) if fl else ''
        gd, ge, kd = r.get('guard_dropped', {}), r.get('guard_end', {}), r.get('kam_delta', {})
        if r['system'] == 'yimen':
            dropped = (f"{n0(sum(gd.values()))} ({n0(gd.get('banned'))} / {n0(gd.get('rate'))} / "
                       f"{n0(gd.get('scanner'))})") if gd else ''
            bans = n0(ge.get('yimen_guard_active_bans'))
            fails = n0(r.get('auth_failures', 0))
            rss = mb(r.get('yimen', {}).get('rss_kb'))
        else:
            dropped = (f"no counter; requests parsed {n0(kd.get('core:rcv_requests', 0))}, "
                       f"drop_requests {n0(kd.get('core:drop_requests', 0))}")
            bans = n0(r.get('kam_end', {}).get('ipban_entries'))
            fails = ''
            rss = f"{mb(r.get('kamailio', {}).get('pss_kb'))} PSS"
        body.append([r['system'], f"{r['param']} ({f1(fl.get('rate_sent')) if fl else 0})",
                     f"{s.get('successful', '')} / {s.get('created', '')}", success_pct(s),
                     f1(s.get('steady_median_rate')),
                     f"{f1(t.get('p50_ms'))} / {f1(t.get('p99_ms'))} / {f1(t.get('max_ms'))}",
                     s.get('retransmissions', ''), f1(server_cpu(r)), f1(cpu(r, 'flood')),
                     f1(r.get('others_cpu')), answered, dropped, bans, fails, rss])
    out = md(head, body) + '\n\n'
    by = {}
    for r in rows:
        by.setdefault(r['param'], {})[r['system']] = r
    cmp_rows = []
    for p in sorted(by):
        y, k = by[p].get('yimen'), by[p].get('kamailio')
        if y and k:
            yt, kt = y.get('rtt', {}), k.get('rtt', {})
            cmp_rows.append([p, success_pct(y['stats']), success_pct(k['stats']),
                             f"{f1(yt.get('p99_ms'))} / {f1(kt.get('p99_ms'))}",
                             f1(server_cpu(y)), f1(server_cpu(k)), ratio(server_cpu(k), server_cpu(y))])
    if cmp_rows:
        out += md(['flood msg/s', 'yimen success %', 'Kamailio success %', 'set-up p99 ms yimen / Kamailio',
                   'yimen CPU %', 'Kamailio + rtpengine CPU %', 'CPU ratio Kamailio / yimen'], cmp_rows) + '\n'
    return out


def table_queue(rows):
    head = ['callers/s', 'answered / placed', 'handled calls/s (agents)', 'failed', 'abandoned',
            'set-up p50 / p99 ms', 'queue wait p50 / p99 / max ms (CDR)', 'yimen CPU %', 'RSS MB', 'SIPp callers + agents CPU %',
            'CTI clients (cut off)', 'CTI events (distinct)', 'CTI fan-out p50 / p99 / max ms', 'CTI missed',
            'ctiload CPU %', 'others CPU %']
    body = []
    for r in rows:
        s, t, q, c = r['stats'], r.get('rtt', {}), r.get('queue', {}), r.get('cti_out', {})
        body.append([r['param'], f"{s.get('successful', '')} / {s.get('created', '')}",
                     f1(q.get('handled_per_s')), s.get('failed', ''), q.get('abandoned', ''),
                     f"{f1(t.get('p50_ms'))} / {f1(t.get('p99_ms'))}",
                     f"{n0(q.get('wait_p50_ms'))} / {n0(q.get('wait_p99_ms'))} / {n0(q.get('wait_max_ms'))}",
                     f1(cpu(r, 'yimen')), mb(r.get('yimen', {}).get('rss_kb')),
                     f"{f1(cpu(r, 'sipp'))} + {f1(cpu(r, 'uas'))}",
                     f"{c.get('connected', '')} ({c.get('cut_off', '')})",
                     f"{c.get('events', '')} ({c.get('events_unique', '')})",
                     f"{f1(c.get('p50_ms'))} / {f1(c.get('p99_ms'))} / {f1(c.get('max_ms'))}",
                     c.get('missed', ''), f1(cpu(r, 'cti')), f1(r.get('others_cpu'))])
    return md(head, body) + '\n'


def plotdata(steps, scenario, outdir):
    """One whitespace-separated file per system (OUTDIR/SCENARIO-SYSTEM.dat)
    for plot.sh: param, achieved rate, success %, server CPU %, set-up p50 and
    p99 ms, server RSS MB, then the scenario's own columns (queue: wait p50,
    p99 ms, CTI p50, p99 ms; flood: flood gen CPU %, flood sent/s)."""
    with open(steps) as f:
        rows = [json.loads(l) for l in f if l.strip()]
    rows = [r for r in rows if r['scenario'] == scenario]
    by = {}
    for r in rows:
        by.setdefault(r['system'], []).append(r)
    q = lambda x: '?' if x is None or x == '' else x  # gnuplot's missing value
    for system, rs in by.items():
        with open(os.path.join(outdir, f'{scenario}-{system}.dat'), 'w') as f:
            f.write('# param rate success_pct cpu_pct p50_ms p99_ms rss_mb extra...\n')
            for r in sorted(rs, key=lambda r: r['param']):
                s, t = r['stats'], r.get('rtt', {})
                mem = r.get('yimen') or r.get('kamailio') or {}
                rss = (mem.get('pss_kb') if system == 'kamailio' else mem.get('rss_kb')) or 0
                created = s.get('created') or 0
                succ = 100.0 * (s.get('successful') or 0) / created if created else None
                extra = []
                if scenario == 'queue':
                    qq, c = r.get('queue', {}), r.get('cti_out', {})
                    extra = [qq.get('wait_p50_ms'), qq.get('wait_p99_ms'), c.get('p50_ms'), c.get('p99_ms')]
                elif scenario == 'flood':
                    extra = [cpu(r, 'flood'), r.get('flood_out', {}).get('rate_sent', 0)]
                elif scenario == 'concurrent':
                    extra = [r.get('relayed_pps')]
                rate = r.get('queue', {}).get('handled_per_s') if scenario == 'queue' else s.get('steady_median_rate')
                cols = [r['param'], rate, succ, server_cpu(r), t.get('p50_ms'),
                        t.get('p99_ms'), round(rss / 1024, 1)] + extra
                f.write(' '.join(str(q(c)) for c in cols) + '\n')


def table(steps, scenario):
    with open(steps) as f:
        rows = [json.loads(l) for l in f if l.strip()]
    rows = [r for r in rows if r['scenario'] == scenario]
    return {'register': table_register, 'calls': table_calls,
            'concurrent': table_concurrent, 'flood': table_flood, 'queue': table_queue}[scenario](rows)


def main(a):
    if len(a) == 7 and a[1] == 'record':
        record(*a[2:7])
    elif len(a) >= 4 and a[1] == 'passed':
        sys.exit(0 if passed(a[2], a[3], float(a[4]) if len(a) > 4 else None) else 1)
    elif len(a) == 4 and a[1] == 'table':
        print(table(a[2], a[3]))
    elif len(a) == 3 and a[1] == 'others':
        print(int(others_cpu(load(a[2], 'cpu.json')) or 0))
    elif len(a) in (3, 4) and a[1] == 'rtt':
        rtt(a[2], float(a[3]) if len(a) == 4 else None)
    elif len(a) == 4 and a[1] == 'compare':
        print(compare_concurrent(a[2], a[3]))
    elif len(a) == 4 and a[1] == 'queuecdrs':
        queuecdrs(a[2], int(a[3]))
    elif len(a) == 5 and a[1] == 'plotdata':
        plotdata(a[2], a[3], a[4])
    elif len(a) == 3 and a[1] == 'metrics':
        print(json.dumps(prom(a[2])))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
