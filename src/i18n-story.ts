// The words of the TCP story (`npm start`, `demo --scenario`, the pictures' captions) in
// English (default) and Chinese (`--lang zh`). The facts are those of the project's seed
// document (../shared/seed): why ACK = seq + 1, why three segments open and four close, what
// each state waits for, which states netstat can catch and why TIME-WAIT lasts 2·MSL.
// Templates use {name} placeholders filled by say().

import type { TcpStateName } from "./abi.js";

export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];

/** Why a segment was sent, as the story explains it. */
export type SegmentWhy =
  | "dataHalfClosed" | "reAckFin" | "syn" | "synack" | "synackSimul" | "hs3" | "data" | "dataAck" | "finFirst" | "finSecond" | "finSimul"
  | "ackFinPassive" | "ackFinLast" | "ackFinSimul" | "rst" | "rtx" | "lost";

/** Why a listing was taken (the state netstat can catch). */
export type CatchWhy = "SYN-RECEIVED" | "FIN-WAIT-2" | "CLOSE-WAIT" | "TIME-WAIT";

interface Words {
  side: Record<"client" | "server", string>;
  intro: string[];
  relative: string;
  time: string;
  colon: string;
  why: Record<SegmentWhy, string>;
  state: Record<TcpStateName, string>;
  catchTitle: string;
  catch: Record<CatchWhy, string>;
  /** Why SYN-RECEIVED is visible in this run: the last ACK is on the wire, or it was lost. */
  synRcvdHere: Record<"inFlight" | "lost", string>;
  notes: [RegExp, string][];
  step: string;
  legend: string;
  ok: string;
  failed: string;
  timeWaitDone: string;
}

const en: Words = {
  side: { client: "client", server: "server" },
  intro: [
    "TCP, segment by segment: two emulated hosts on one link (1 ms each way), on a virtual clock.",
    "Each arrow is one segment (flags, seq, ack, len); each side's state is shown when it changes.",
  ],
  relative: "seq and ack are relative to each side's initial sequence number (client ISN {ci}, server ISN {si}).",
  time: "time",
  colon: ": ",
  why: {
    syn: "{a} opens: its SYN carries its initial sequence number, and the SYN itself uses up one sequence number.",
    synack: "{a} answers with SYN and ACK in one segment. ack={ack} is the SYN's seq + 1 because a SYN takes one number. Since SYN and ACK ride together, opening needs three segments, not four.",
    synackSimul: "{a} acknowledges {b}'s SYN and repeats its own: both sides opened at the same time.",
    hs3: "The third segment: {a} acknowledges {b}'s SYN (ack = seq + 1). When it arrives, {b} is ESTABLISHED too.",
    data: "{n} bytes of data from {a}; {b} acknowledges them with ack = seq + len = {end}.",
    dataAck: "{a} acknowledges the data: ack={ack} is the seq + len of what arrived.",
    reAckFin: "{a} is still in TIME-WAIT, so it can acknowledge the resent FIN again (ack={ack}): this is what TIME-WAIT waits for. Its 2·MSL starts over.",
    dataHalfClosed: "{n} bytes from {a} on a half-closed connection: the {b} -> {a} direction is closed, this one is not. A FIN only says its sender has finished.",
    finFirst: "{a} has nothing more to send: FIN. A FIN takes one sequence number, like a SYN. Only the {a} -> {b} direction closes; {b} may still send.",
    finSecond: "{a} has finished too and sends its own FIN; it waits in LAST-ACK for the final ACK.",
    finSimul: "{a} sends its FIN while {b}'s FIN is still unacknowledged: both close at once.",
    ackFinPassive: "{a} acknowledges the FIN at once (ack={ack} = the FIN's seq + 1) but does not close yet: it may still have data to send. That is why closing takes four segments: this ACK and {a}'s own FIN travel apart.",
    ackFinLast: "The last ACK (ack={ack} = the FIN's seq + 1). {a} stays in TIME-WAIT for 2·MSL: if this ACK is lost, {b} sends its FIN again, and only a socket still in TIME-WAIT can acknowledge it once more.",
    ackFinSimul: "{a} acknowledges {b}'s FIN (ack={ack} = seq + 1).",
    rst: "RST: {a} has no connection or listener this segment belongs to (or gives up on it): the connection is reset, or refused.",
    rtx: "A retransmission: no ACK came back before the retransmission timer fired, so {a} sends the same sequence numbers again.",
    lost: "Lost on the link: {b} never sees this segment.",
  },
  state: {
    "CLOSED": "no connection",
    "LISTEN": "waiting for a SYN",
    "SYN-SENT": "sent its SYN; waits for the second segment (SYN+ACK)",
    "SYN-RECEIVED": "got a SYN and answered it; waits for the third segment (ACK)",
    "ESTABLISHED": "connected: data can flow both ways",
    "FIN-WAIT-1": "sent its FIN; waits for the ACK of it",
    "FIN-WAIT-2": "its FIN is acknowledged: half-closed, still receiving; waits for the peer's FIN",
    "CLOSE-WAIT": "the peer has finished sending; this side may still send until its application closes",
    "CLOSING": "the FINs crossed: waits for the ACK of its own FIN",
    "LAST-ACK": "sent its FIN after the peer's; waits for the last ACK",
    "TIME-WAIT": "waits 2·MSL ({ms} ms) before forgetting the connection",
  },
  catchTitle: "ss -tan on both hosts at {t} ms",
  catch: {
    "SYN-RECEIVED": "SYN-RECEIVED normally lasts one round trip, too short for netstat to see; it stays visible when the handshake's last ACK is withheld or lost.",
    "FIN-WAIT-2": "A half-closed connection: netstat often shows FIN-WAIT-2 on the side that closed first, CLOSE-WAIT on the side whose application has not closed yet.",
    "CLOSE-WAIT": "A half-closed connection: netstat often shows FIN-WAIT-2 on the side that closed first, CLOSE-WAIT on the side whose application has not closed yet.",
    "TIME-WAIT": "TIME-WAIT is the state netstat shows most: every active close leaves one behind for 2·MSL.",
  },
  synRcvdHere: {
    inFlight: "Here the virtual clock is stopped while that ACK is on the wire (--scenario lost-handshake-ack loses it).",
    lost: "Here that ACK was lost: the server waits for its retransmission timer.",
  },
  notes: [],
  step: "(Enter: next step)",
  legend: "Time runs down the page. ✕: lost on the link. ↻: a retransmission. Hover a state for what it waits for.",
  ok: "result: ok",
  failed: "result: FAILED",
  timeWaitDone: "2·MSL later (virtual time) TIME-WAIT ends: {side} is CLOSED.",
};

const zh: Words = {
  side: { client: "客户端", server: "服务器" },
  intro: [
    "逐个报文看 TCP：一条链路上的两台模拟主机（单向延迟 1 ms），使用虚拟时钟。",
    "每个箭头是一个报文（标志、seq、ack、len）；双方的状态在变化时显示。",
  ],
  relative: "seq 和 ack 都是相对于各自初始序号的值（客户端 ISN {ci}，服务器 ISN {si}）。",
  time: "时间",
  colon: "：",
  why: {
    syn: "{a}发起连接：SYN 带着它的初始序号，SYN 本身也占用一个序号。",
    synack: "{a}用一个报文同时回 SYN 和 ACK。ack={ack} 等于对方 SYN 的 seq + 1，因为 SYN 占一个序号。SYN 和 ACK 合在一起发，所以建立连接只要三个报文，而不是四个。",
    synackSimul: "{a}确认{b}的 SYN，并再次发出自己的 SYN：双方同时发起了连接。",
    hs3: "第三个报文：{a}确认{b}的 SYN（ack = seq + 1）。它一到达，{b}也进入 ESTABLISHED。",
    data: "{a}发出 {n} 字节数据；{b}用 ack = seq + len = {end} 确认。",
    dataAck: "{a}确认收到的数据：ack={ack} 等于收到的 seq + len。",
    reAckFin: "{a}还在 TIME-WAIT，所以能再次确认重发的 FIN（ack={ack}）：TIME-WAIT 等的就是这个。它的 2·MSL 重新开始计时。",
    dataHalfClosed: "{a}在半关闭的连接上发出 {n} 字节：{b} -> {a}方向已关闭，这个方向没有。FIN 只表示发送它的一方发完了。",
    finFirst: "{a}没有数据要发了：发 FIN。FIN 和 SYN 一样占一个序号。关闭的只是{a} -> {b}这个方向，{b}还可以继续发。",
    finSecond: "{a}也发完了，发出自己的 FIN，然后在 LAST-ACK 等最后一个 ACK。",
    finSimul: "{a}在{b}的 FIN 还没被确认时也发出 FIN：双方同时关闭。",
    ackFinPassive: "{a}立即确认 FIN（ack={ack} = FIN 的 seq + 1），但还不关闭：它可能还有数据要发。所以关闭要四个报文：这个 ACK 和{a}自己的 FIN 分开发送。",
    ackFinLast: "最后一个 ACK（ack={ack} = FIN 的 seq + 1）。{a}在 TIME-WAIT 停留 2·MSL：如果这个 ACK 丢了，{b}会重发 FIN，只有仍在 TIME-WAIT 的一方才能再次确认它。",
    ackFinSimul: "{a}确认{b}的 FIN（ack={ack} = seq + 1）。",
    rst: "RST：{a}没有这个报文所属的连接或监听端口（或放弃了它），连接被重置或被拒绝。",
    rtx: "重传：重传定时器到期前没有收到 ACK，{a}再次发送同样的序号。",
    lost: "在链路上丢失：{b}收不到这个报文。",
  },
  state: {
    "CLOSED": "没有连接",
    "LISTEN": "等待 SYN",
    "SYN-SENT": "已发出 SYN，等第二个报文（SYN+ACK）",
    "SYN-RECEIVED": "收到 SYN 并已回应，等第三个报文（ACK）",
    "ESTABLISHED": "连接已建立，双向都可以传数据",
    "FIN-WAIT-1": "已发出 FIN，等它的 ACK",
    "FIN-WAIT-2": "FIN 已被确认：半关闭，仍可接收，等对方的 FIN",
    "CLOSE-WAIT": "对方已发完；本方在应用程序关闭之前仍可发送",
    "CLOSING": "双方的 FIN 交错：等自己那个 FIN 的 ACK",
    "LAST-ACK": "在对方之后发出 FIN，等最后一个 ACK",
    "TIME-WAIT": "等 2·MSL（{ms} ms）之后才释放连接",
  },
  catchTitle: "{t} ms 时两台主机上的 ss -tan",
  catch: {
    "SYN-RECEIVED": "SYN-RECEIVED 通常只持续一个往返时间，netstat 很难看到；握手的最后一个 ACK 被扣下或丢失时，它才会停留下来。",
    "FIN-WAIT-2": "半关闭的连接：netstat 里先关闭的一方常显示 FIN-WAIT-2，应用程序还没关闭的一方显示 CLOSE-WAIT。",
    "CLOSE-WAIT": "半关闭的连接：netstat 里先关闭的一方常显示 FIN-WAIT-2，应用程序还没关闭的一方显示 CLOSE-WAIT。",
    "TIME-WAIT": "TIME-WAIT 是 netstat 里最常见的状态：每次主动关闭都会留下一个，持续 2·MSL。",
  },
  synRcvdHere: {
    inFlight: "这里虚拟时钟停在那个 ACK 还在链路上的时刻（--scenario lost-handshake-ack 会让它丢失）。",
    lost: "这里那个 ACK 丢了：服务器在等重传定时器。",
  },
  notes: [
    [/^application connects (?:from port (\d+) )?to (\S+)$/, "应用程序发起连接 {2}"],
    [/^application accepts the connection$/, "应用程序接受连接"],
    [/^application writes (\d+) bytes$/, "应用程序写入 {1} 字节"],
    [/^application reads (\d+) bytes$/, "应用程序读到 {1} 字节"],
    [/^application sees end of stream$/, "应用程序读到流的结尾（对方的 FIN）"],
    [/^application shuts down its sending side \(FIN\)$/, "应用程序关闭自己的发送方向（FIN）"],
  ],
  step: "（回车：下一步）",
  legend: "时间从上往下。✕：在链路上丢失。↻：重传。鼠标停在状态上可看它在等什么。",
  ok: "结果：正常",
  failed: "结果：失败",
  timeWaitDone: "2·MSL（虚拟时间）之后 TIME-WAIT 结束：{side} 进入 CLOSED。",
};

const WORDS: Record<Lang, Words> = { en, zh };

/** Fill {name} placeholders. */
function fill(tpl: string, vars: Record<string, string | number>): string {
  return tpl.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** The story's words in one language. */
export class Say {
  private readonly w: Words;
  constructor(readonly lang: Lang) { this.w = WORDS[lang]; }
  side(s: "client" | "server"): string { return this.w.side[s]; }
  intro(): string[] { return this.w.intro; }
  relative(ci: number, si: number): string { return fill(this.w.relative, { ci, si }); }
  time(): string { return this.w.time; }
  colon(): string { return this.w.colon; }
  why(k: SegmentWhy, vars: Record<string, string | number>): string {
    // a sentence may start with a side's name
    return fill(this.w.why[k], vars).replace(/(^|\. )(client|server)/g, (_, p: string, w: string) => p + w[0].toUpperCase() + w.slice(1));
  }
  state(s: TcpStateName, mslMs: number): string { return fill(this.w.state[s], { ms: 2 * mslMs }); }
  catchTitle(t: number): string { return fill(this.w.catchTitle, { t }); }
  catchWhy(s: CatchWhy): string { return this.w.catch[s]; }
  synRcvdHere(lost: boolean): string { return this.w.synRcvdHere[lost ? "lost" : "inFlight"]; }
  /** An application note in this language (notes without a translation stay as they are). */
  note(text: string): string {
    for (const [re, tpl] of this.w.notes) {
      const m = re.exec(text);
      if (m) return tpl.replace(/\{(\d)\}/g, (_, i: string) => m[Number(i)] ?? "");
    }
    return text;
  }
  step(): string { return this.w.step; }
  legend(): string { return this.w.legend; }
  result(ok: boolean): string { return ok ? this.w.ok : this.w.failed; }
  timeWaitDone(side: "client" | "server"): string { return fill(this.w.timeWaitDone, { side: this.side(side) }); }
}
