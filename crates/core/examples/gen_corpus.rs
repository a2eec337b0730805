//! Generate a large synthetic Japanese FAQ corpus, deterministically.
//!
//! ```sh
//! cargo run --release -p kotae-core --example gen_corpus -- --articles 10000 --out /tmp/kotae-10k
//! ```
//!
//! Options: `--articles N` (default 10000), `--out DIR` (required; must not exist or be empty,
//! unless `--force`, which deletes a folder this tool wrote first), `--seed S` (default 20261122),
//! `--manual-percent P` (default 5: internal manual pages with `##`/`###` sections).
//!
//! Sentences are built from hand-written Japanese word lists and templates with a small
//! SplitMix64 generator, so the same arguments always produce byte-identical files. The output
//! is a valid content folder for `kotae check`: `categories.yml`, `site.yml`, `synonyms.txt`
//! and one Markdown page per article under `<category>/`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// SplitMix64: tiny, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// Skewed towards the front of the list (a Zipf-like word frequency).
    fn zipf<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let i = ((items.len() as f64) * u * u * u) as usize;
        &items[i.min(items.len() - 1)]
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A word and its reading in hiragana (`""` when it is already kana or Latin).
type Word = (&'static str, &'static str);

struct Category {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    /// Things customers ask about in this category.
    objects: &'static [Word],
    /// Actions (する-nouns) on them.
    actions: &'static [Word],
}

const CATEGORIES: &[Category] = &[
    Category { id: "account", name: "アカウント・ログイン", description: "会員登録、ログイン、登録情報の変更、退会について",
        objects: &[("アカウント", "あかうんと"), ("会員情報", "かいいんじょうほう"), ("メールアドレス", "めーるあどれす"), ("電話番号", "でんわばんごう"), ("ニックネーム", "にっくねーむ"), ("生年月日", "せいねんがっぴ"), ("会員ID", ""), ("登録住所", "とうろくじゅうしょ"), ("SNSアカウント", ""), ("家族アカウント", "かぞくあかうんと")],
        actions: &[("変更", "へんこう"), ("登録", "とうろく"), ("削除", "さくじょ"), ("確認", "かくにん"), ("連携", "れんけい"), ("統合", "とうごう"), ("解除", "かいじょ")] },
    Category { id: "password", name: "パスワード・認証", description: "パスワードの再設定、二段階認証、ログインできないとき",
        objects: &[("パスワード", "ぱすわーど"), ("認証コード", "にんしょうこーど"), ("二段階認証", "にだんかいにんしょう"), ("ワンタイムパスワード", "わんたいむぱすわーど"), ("秘密の質問", "ひみつのしつもん"), ("ログイン履歴", "ろぐいんりれき"), ("生体認証", "せいたいにんしょう")],
        actions: &[("再設定", "さいせってい"), ("変更", "へんこう"), ("設定", "せってい"), ("解除", "かいじょ"), ("再発行", "さいはっこう"), ("確認", "かくにん")] },
    Category { id: "orders", name: "ご注文", description: "注文の方法、変更・キャンセル、領収書について",
        objects: &[("注文", "ちゅうもん"), ("注文内容", "ちゅうもんないよう"), ("お届け先", "おとどけさき"), ("数量", "すうりょう"), ("領収書", "りょうしゅうしょ"), ("予約商品", "よやくしょうひん"), ("定期便", "ていきびん"), ("ギフト包装", "ぎふとほうそう"), ("注文履歴", "ちゅうもんりれき"), ("納品書", "のうひんしょ"), ("まとめ買い", "まとめがい")],
        actions: &[("キャンセル", "きゃんせる"), ("変更", "へんこう"), ("確認", "かくにん"), ("追加", "ついか"), ("発行", "はっこう"), ("取り消し", "とりけし"), ("再注文", "さいちゅうもん")] },
    Category { id: "shipping", name: "配送・お届け", description: "送料、お届け日時、配送状況の確認について",
        objects: &[("配送状況", "はいそうじょうきょう"), ("お届け日時", "おとどけにちじ"), ("送料", "そうりょう"), ("宅配ボックス", "たくはいぼっくす"), ("置き配", "おきはい"), ("追跡番号", "ついせきばんごう"), ("再配達", "さいはいたつ"), ("離島への配送", "りとうへのはいそう"), ("コンビニ受け取り", "こんびにうけとり"), ("海外発送", "かいがいはっそう")],
        actions: &[("指定", "してい"), ("変更", "へんこう"), ("確認", "かくにん"), ("依頼", "いらい"), ("追跡", "ついせき"), ("受け取り", "うけとり")] },
    Category { id: "returns", name: "返品・交換", description: "返品・交換の条件と手続き、返金について",
        objects: &[("返品", "へんぴん"), ("交換", "こうかん"), ("返金", "へんきん"), ("不良品", "ふりょうひん"), ("返送料", "へんそうりょう"), ("返品伝票", "へんぴんでんぴょう"), ("サイズ交換", "さいずこうかん"), ("初期不良", "しょきふりょう")],
        actions: &[("申し込み", "もうしこみ"), ("手続き", "てつづき"), ("確認", "かくにん"), ("依頼", "いらい"), ("取り消し", "とりけし")] },
    Category { id: "payment", name: "お支払い", description: "支払い方法、クレジットカード、請求について",
        objects: &[("クレジットカード", "くれじっとかーど"), ("支払い方法", "しはらいほうほう"), ("代金引換", "だいきんひきかえ"), ("コンビニ払い", "こんびにばらい"), ("銀行振込", "ぎんこうふりこみ"), ("分割払い", "ぶんかつばらい"), ("請求金額", "せいきゅうきんがく"), ("PayPay", ""), ("後払い", "あとばらい"), ("引き落とし日", "ひきおとしび")],
        actions: &[("変更", "へんこう"), ("登録", "とうろく"), ("確認", "かくにん"), ("削除", "さくじょ"), ("利用", "りよう"), ("設定", "せってい")] },
    Category { id: "points", name: "ポイント・クーポン", description: "ポイントの貯め方・使い方、クーポンについて",
        objects: &[("ポイント", "ぽいんと"), ("クーポン", "くーぽん"), ("有効期限", "ゆうこうきげん"), ("ポイント履歴", "ぽいんとりれき"), ("期間限定ポイント", "きかんげんていぽいんと"), ("クーポンコード", "くーぽんこーど"), ("誕生日特典", "たんじょうびとくてん")],
        actions: &[("利用", "りよう"), ("確認", "かくにん"), ("付与", "ふよ"), ("延長", "えんちょう"), ("移行", "いこう"), ("交換", "こうかん")] },
    Category { id: "membership", name: "会員ランク・特典", description: "会員ランク、有料会員、特典について",
        objects: &[("会員ランク", "かいいんらんく"), ("有料会員", "ゆうりょうかいいん"), ("プレミアム会員", "ぷれみあむかいいん"), ("年会費", "ねんかいひ"), ("会員特典", "かいいんとくてん"), ("無料体験", "むりょうたいけん"), ("会員証", "かいいんしょう")],
        actions: &[("登録", "とうろく"), ("解約", "かいやく"), ("更新", "こうしん"), ("確認", "かくにん"), ("変更", "へんこう"), ("停止", "ていし")] },
    Category { id: "app", name: "アプリ", description: "アプリのダウンロード、通知、動作の不具合について",
        objects: &[("アプリ", "あぷり"), ("プッシュ通知", "ぷっしゅつうち"), ("お気に入り", "おきにいり"), ("カート", "かーと"), ("バーコード", "ばーこーど"), ("位置情報", "いちじょうほう"), ("ウィジェット", "うぃじぇっと"), ("キャッシュ", "きゃっしゅ")],
        actions: &[("インストール", "いんすとーる"), ("更新", "こうしん"), ("設定", "せってい"), ("同期", "どうき"), ("削除", "さくじょ"), ("表示", "ひょうじ")] },
    Category { id: "store", name: "店舗", description: "店舗での受け取り、在庫、営業時間について",
        objects: &[("店舗受け取り", "てんぽうけとり"), ("店舗在庫", "てんぽざいこ"), ("営業時間", "えいぎょうじかん"), ("駐車場", "ちゅうしゃじょう"), ("取り置き", "とりおき"), ("店舗のレシート", "てんぽのれしーと")],
        actions: &[("確認", "かくにん"), ("予約", "よやく"), ("依頼", "いらい"), ("延長", "えんちょう"), ("取り消し", "とりけし")] },
    Category { id: "gift", name: "ギフト", description: "ギフト包装、のし、メッセージカードについて",
        objects: &[("のし", "のし"), ("メッセージカード", "めっせーじかーど"), ("ギフトカード", "ぎふとかーど"), ("ラッピング", "らっぴんぐ"), ("金額の非表示", "きんがくのひひょうじ"), ("複数のお届け先", "ふくすうのおとどけさき")],
        actions: &[("指定", "してい"), ("追加", "ついか"), ("変更", "へんこう"), ("利用", "りよう"), ("確認", "かくにん")] },
    Category { id: "privacy", name: "個人情報・セキュリティ", description: "個人情報の取り扱い、不正利用、メール配信の停止について",
        objects: &[("個人情報", "こじんじょうほう"), ("メールマガジン", "めーるまがじん"), ("不審なメール", "ふしんなめーる"), ("不正利用", "ふせいりよう"), ("閲覧履歴", "えつらんりれき"), ("Cookie", "")],
        actions: &[("削除", "さくじょ"), ("停止", "ていし"), ("確認", "かくにん"), ("開示", "かいじ"), ("報告", "ほうこく")] },
    Category { id: "contact", name: "お問い合わせ", description: "カスタマーセンターへの連絡方法と受付時間",
        objects: &[("お問い合わせ", "おといあわせ"), ("チャット", "ちゃっと"), ("電話窓口", "でんわまどぐち"), ("問い合わせフォーム", "といあわせふぉーむ"), ("返信メール", "へんしんめーる"), ("受付時間", "うけつけじかん")],
        actions: &[("利用", "りよう"), ("確認", "かくにん"), ("送信", "そうしん"), ("予約", "よやく")] },
];

const MANUAL_CATEGORY: (&str, &str, &str) = ("manual", "オペレーター業務マニュアル", "応対品質、エスカレーション、社内手順");

const PROBLEMS: &[&str] = &[
    "表示されません", "届きません", "反映されません", "見つかりません", "使えません", "エラーになります",
    "二重になっています", "消えてしまいました", "間違っていました", "途中で止まってしまいます", "反応しません",
];
const PROBLEMS_COLLOQUIAL: &[&str] = &["出てこない", "こない", "反映されない", "見つからない", "使えない", "エラーになる", "消えた", "できない", "動かない"];
const PLACES: &[&str] = &[
    "マイページ", "会員メニュー", "アプリの設定画面", "注文履歴", "会員情報の画面", "ヘルプセンター",
    "お支払い方法の画面", "ポイント履歴の画面", "アプリのメニュー", "購入手続きの画面",
];
const CONDITIONS: &[&str] = &[
    "発送準備に入った後", "セール期間中", "商品の到着から8日以上経った場合", "ゲスト購入の場合",
    "定期便のご注文", "予約商品の場合", "お支払いが確定する前", "メンテナンス中", "海外からのアクセスの場合",
    "法人会員の場合", "18時以降のご注文", "複数のお届け先を指定した場合",
];
const FIXES: &[&str] = &[
    "ブラウザのキャッシュを削除してから、もう一度お試しください",
    "アプリを最新のバージョンに更新してください",
    "時間をおいて、もう一度お試しください",
    "別のブラウザや端末でお試しください",
    "Cookieとjavascriptが有効になっているかご確認ください",
    "一度ログアウトし、再度ログインしてください",
    "迷惑メールフォルダもご確認ください",
];
const DEVICES: &[&str] = &["iPhone", "Androidのスマートフォン", "パソコン", "タブレット", "スマホ"];
const RESULTS: &[&str] = &["反映まで時間がかかる", "手続きが完了しない", "メールが届かない", "確認が必要になる", "追加の料金がかかる", "画面に表示されない"];
const ADVERBS: &[&str] = &["通常", "原則として", "多くの場合", "ご注文の状況によっては", "お手数ですが", "あらかじめ"];
const UNITS: &[&str] = &["営業日", "日", "時間", "分"];
const CUSTOMER_OPENERS: &[&str] = &["すみません、", "", "", "急ぎです。", "初めて利用します。", "昨日から", "", "家族の代わりに問い合わせます。"];
const MANUAL_TOPICS: &[Word] = &[
    ("電話応対", "でんわおうたい"), ("クレーム対応", "くれーむたいおう"), ("エスカレーション", "えすかれーしょん"),
    ("本人確認", "ほんにんかくにん"), ("チャット応対", "ちゃっとおうたい"), ("メール返信", "めーるへんしん"),
    ("返金処理", "へんきんしょり"), ("不正注文の調査", "ふせいちゅうもんのちょうさ"), ("保留", "ほりゅう"),
    ("折り返し連絡", "おりかえしれんらく"), ("個人情報の取り扱い", "こじんじょうほうのとりあつかい"), ("チケット管理", "ちけっとかんり"),
];
const MANUAL_CASES: &[&str] = &[
    "お客様が強い口調のとき", "本人確認ができないとき", "システム障害が起きているとき", "返金額に誤りがあったとき",
    "配送業者の調査が必要なとき", "上長の判断が必要なとき", "二回目以降のお問い合わせのとき", "高齢のお客様のとき",
    "法人のお客様のとき", "SNSで拡散されているとき",
];
const MANUAL_CHECKS: &[&str] = &[
    "注文番号と登録のお名前", "過去の応対履歴", "決済の状況", "配送業者の追跡情報", "会員ランクと特典の利用状況",
    "チケットのステータス", "直近のログイン履歴",
];
const TOOLS: &[&str] = &["管理画面", "CRM", "チケットシステム", "決済の管理画面", "配送の管理システム"];

struct Article {
    id: String,
    category: &'static str,
    internal: bool,
}

struct Gen {
    rng: Rng,
}

impl Gen {
    fn title(&mut self, c: &Category) -> (String, Vec<String>, Vec<String>) {
        let (obj, obj_kana) = *self.rng.zipf(c.objects);
        let (act, act_kana) = *self.rng.zipf(c.actions);
        let cond = self.rng.pick(CONDITIONS);
        let problem = self.rng.pick(PROBLEMS);
        let title = match self.rng.below(11) {
            0 => format!("{obj}を{act}したい"),
            1 => format!("{obj}の{act}方法を教えてください"),
            2 => format!("{obj}の{act}ができません"),
            3 => format!("{obj}は{act}できますか？"),
            4 => format!("{obj}を{act}したのに{problem}"),
            5 => format!("{obj}の{act}に手数料はかかりますか？"),
            6 => format!("{obj}を間違えて{act}してしまいました"),
            7 => format!("{cond}に{obj}を{act}するには"),
            8 => format!("{obj}の{act}はいつまでできますか"),
            9 => format!("{obj}が{problem}"),
            _ => format!("{}から{obj}を{act}する方法", self.rng.pick(DEVICES)),
        };
        let mut aliases = Vec::new();
        for _ in 0..self.rng.range(0, 3) {
            let alias = match self.rng.below(6) {
                0 => format!("{obj}{act}したい"),
                1 => format!("{obj} {act} できない"),
                2 => format!("{obj}が{}", self.rng.pick(PROBLEMS_COLLOQUIAL)),
                3 if !obj_kana.is_empty() && !act_kana.is_empty() => format!("{obj_kana} {act_kana}"),
                4 => format!("{obj}の{act}って{}", ["どうやるの", "できる？", "どこ", "むずかしい"][self.rng.below(4)]),
                _ => format!("{}{obj}を{act}するには", self.rng.pick(CUSTOMER_OPENERS)),
            };
            if alias != title && !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        let mut tags = vec![obj.to_string()];
        if self.rng.chance(70) {
            tags.push(act.to_string());
        }
        if self.rng.chance(30) {
            let (other, _) = *self.rng.pick(c.objects);
            if !tags.iter().any(|t| t == other) {
                tags.push(other.to_string());
            }
        }
        (title, aliases, tags)
    }

    fn sentence(&mut self, c: &Category) -> String {
        let (obj, _) = *self.rng.zipf(c.objects);
        let (obj2, _) = *self.rng.pick(c.objects);
        let (act, _) = *self.rng.zipf(c.actions);
        let (act2, _) = *self.rng.pick(c.actions);
        let place = self.rng.pick(PLACES);
        let n = self.rng.range(1, 14);
        let unit = self.rng.pick(UNITS);
        match self.rng.below(16) {
            0 => format!("{obj}の{act}は、{place}から行えます。"),
            1 => format!("{place}にログインし、「{obj}」を選んで「{act}する」を押してください。"),
            2 => format!("{act}が完了すると、ご登録のメールアドレスに確認のメールが届きます。"),
            3 => format!("{}は、{obj}の{act}ができません。あらかじめご了承ください。", self.rng.pick(CONDITIONS)),
            4 => format!("{}、{obj}の{act}には{n}{unit}ほどかかる場合があります。", self.rng.pick(ADVERBS)),
            5 => format!("手続きの途中でエラーが表示される場合は、{}。", self.rng.pick(FIXES)),
            6 => format!("{obj}を{act}した後は、{obj2}も自動で{act2}されます。"),
            7 => "ご不明な点は、お問い合わせフォームまたはチャットからご連絡ください。".to_string(),
            8 => format!("{}をお使いの場合は、{place}の右上にあるメニューから同じ操作ができます。", self.rng.pick(DEVICES)),
            9 => format!("{}と、{}ことがあります。", self.rng.pick(CONDITIONS), self.rng.pick(RESULTS)),
            10 => format!("{obj}について、{}は{n}回まで{act}できます。", ["1回のご注文", "1か月", "1年間", "お一人様"][self.rng.below(4)]),
            11 => format!("なお、{obj2}の{act2}は{obj}の{act}とは別の手続きです。"),
            12 => format!("{}{n}{unit}を過ぎても{}場合は、お手数ですがカスタマーセンターまでお問い合わせください。", self.rng.pick(ADVERBS), self.rng.pick(PROBLEMS_COLLOQUIAL)),
            13 => format!("当店では、{obj}の{act}に手数料はいただいておりません（{}を除く）。", self.rng.pick(CONDITIONS)),
            14 => format!("{obj}の{act}を行うと、{obj2}の内容は{}。", ["元に戻せません", "引き継がれます", "初期化されます", "翌日に反映されます"][self.rng.below(4)]),
            _ => format!("セキュリティのため、{obj}の{act}の際にはパスワードの入力をお願いしています。"),
        }
    }

    fn paragraph(&mut self, c: &Category, sentences: usize) -> String {
        let mut p = String::new();
        for _ in 0..sentences {
            p.push_str(&self.sentence(c));
        }
        p
    }

    fn steps(&mut self, c: &Category) -> String {
        let (obj, _) = *self.rng.zipf(c.objects);
        let (act, _) = *self.rng.zipf(c.actions);
        let mut s = String::new();
        let _ = writeln!(s, "1. {}を開きます。", self.rng.pick(PLACES));
        let _ = writeln!(s, "2. 「{obj}」を選びます。");
        if self.rng.chance(50) {
            let _ = writeln!(s, "3. 必要な項目を入力し、内容を確認します。");
            let _ = writeln!(s, "4. 「{act}する」を押すと完了です。");
        } else {
            let _ = writeln!(s, "3. 「{act}する」を押し、確認画面で「OK」を選びます。");
        }
        s
    }

    fn public_body(&mut self, c: &Category, earlier: &[&Article]) -> String {
        let mut body = String::new();
        let paragraphs = self.rng.range(2, 6);
        for i in 0..paragraphs {
            let n = self.rng.range(1, 4);
            body.push_str(&self.paragraph(c, n));
            body.push_str("\n\n");
            if i == 0 && self.rng.chance(45) {
                body.push_str(&self.steps(c));
                body.push('\n');
            }
        }
        if self.rng.chance(10) {
            let (obj, _) = *self.rng.pick(c.objects);
            let _ = write!(body, "| 条件 | {obj}の扱い |\n|---|---|\n");
            for _ in 0..self.rng.range(2, 4) {
                let _ = writeln!(body, "| {} | {} |", self.rng.pick(CONDITIONS), self.rng.pick(RESULTS));
            }
            body.push('\n');
        }
        if !earlier.is_empty() && self.rng.chance(35) {
            let target = earlier[self.rng.below(earlier.len())];
            let _ = writeln!(body, "あわせて[こちらのページ](/articles/{})もご覧ください。", target.id);
        }
        body
    }

    fn manual_body(&mut self, topic: &str) -> String {
        let mut body = String::new();
        let _ = writeln!(body, "このページは{topic}の社内手順です。お客様には公開しないでください。\n");
        for s in 0..self.rng.range(3, 7) {
            let c = self.rng.pick(CATEGORIES);
            let (obj, _) = *self.rng.zipf(c.objects);
            let _ = writeln!(body, "## {topic}の手順{}：{obj}\n", s + 1);
            let _ = writeln!(
                body,
                "お客様から{obj}についてお問い合わせがあった場合は、まず{}で{}を確認します。{}\n",
                self.rng.pick(TOOLS),
                self.rng.pick(MANUAL_CHECKS),
                self.paragraph(c, 2)
            );
            for _ in 0..self.rng.range(1, 3) {
                let case = self.rng.pick(MANUAL_CASES);
                let _ = writeln!(body, "### {case}\n");
                let _ = writeln!(
                    body,
                    "{case}は、{}。判断に迷う場合は、{}に記録したうえでリーダーに相談してください。{}\n",
                    ["保留にせず、その場で状況をお伝えします", "お詫びの言葉を先に述べ、事実を確認します", "折り返しの時間をお約束します", "チケットを「要対応」にして引き継ぎます"][self.rng.below(4)],
                    self.rng.pick(TOOLS),
                    self.sentence(c)
                );
            }
            if self.rng.chance(30) {
                body.push_str("| 状況 | 対応 |\n|---|---|\n");
                for _ in 0..3 {
                    let _ = writeln!(body, "| {} | {}を確認する |", self.rng.pick(MANUAL_CASES), self.rng.pick(MANUAL_CHECKS));
                }
                body.push('\n');
            }
        }
        body
    }
}

fn date(rng: &mut Rng, year: u32) -> String {
    format!("{year}-{:02}-{:02}", rng.range(1, 12), rng.range(1, 28))
}

fn yaml_str(s: &str) -> String {
    // Quote everything: titles may contain `:`, `?`, `#` or start with `[`.
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn usage() -> ! {
    eprintln!("usage: gen_corpus --out DIR [--articles N] [--seed S] [--manual-percent P] [--force]");
    std::process::exit(2)
}

fn main() {
    let mut articles = 10_000usize;
    let mut out: Option<PathBuf> = None;
    let mut seed = 20_261_122u64;
    let mut manual_percent = 5u64;
    let mut force = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--articles" => articles = value().parse().unwrap_or_else(|_| usage()),
            "--out" => out = Some(PathBuf::from(value())),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage()),
            "--manual-percent" => manual_percent = value().parse().unwrap_or_else(|_| usage()),
            "--force" => force = true,
            _ => usage(),
        }
    }
    let Some(out) = out else { usage() };
    if let Err(e) = generate(&out, articles, seed, manual_percent, force) {
        eprintln!("gen_corpus: {e}");
        std::process::exit(1);
    }
}

fn generate(out: &Path, articles: usize, seed: u64, manual_percent: u64, force: bool) -> std::io::Result<()> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        if !force {
            return Err(std::io::Error::other(format!("{} is not empty (use --force to replace it)", out.display())));
        }
        // Only ever delete what looks like a corpus this tool wrote.
        let ours = fs::read_to_string(out.join("categories.yml")).is_ok_and(|c| c.starts_with("# Generated by gen_corpus"));
        if !ours {
            return Err(std::io::Error::other(format!("{} was not written by gen_corpus: not deleting it", out.display())));
        }
        fs::remove_dir_all(out)?;
    }
    fs::create_dir_all(out)?;

    let mut cats = String::from("# Generated by gen_corpus: synthetic categories.\n");
    for c in CATEGORIES {
        let _ = write!(cats, "- id: {}\n  name: {}\n  description: {}\n", c.id, c.name, c.description);
    }
    let (mid, mname, mdesc) = MANUAL_CATEGORY;
    let _ = write!(cats, "- id: {mid}\n  name: {mname}\n  description: {mdesc}\n  audience: internal\n");
    fs::write(out.join("categories.yml"), cats)?;
    fs::write(
        out.join("site.yml"),
        "name: 合成データ ヘルプセンター\ncontact:\n  - kind: phone\n    label: お電話\n    value: 0120-000-000\n    hours: 9:00〜18:00\n",
    )?;
    fs::write(
        out.join("synonyms.txt"),
        "スマホ, スマートフォン, 携帯電話\nパスワード, PW, パスコード\nキャンセル, 取り消し\n返金, 払い戻し\nクレジットカード, クレカ\n",
    )?;

    let mut g = Gen { rng: Rng(seed) };
    let mut done: Vec<Article> = Vec::with_capacity(articles);
    let mut bytes = 0usize;
    for n in 0..articles {
        let internal = g.rng.chance(manual_percent);
        let c = g.rng.pick(CATEGORIES);
        let category = if internal { mid } else { c.id };
        let id = format!("{category}/q{n:06}");
        let dir = out.join(category);
        if !dir.is_dir() {
            fs::create_dir_all(&dir)?;
        }
        // Related pages and links: earlier pages of the same audience (public pages may not
        // point at the manual), among the last few hundred so lookups stay cheap.
        let window = &done[done.len().saturating_sub(400)..];
        let candidates: Vec<&Article> = window.iter().filter(|a| a.internal == internal && (internal || a.category == category)).collect();
        let mut related: Vec<String> = Vec::new();
        for _ in 0..g.rng.range(0, 3) {
            if candidates.is_empty() {
                break;
            }
            let r = &candidates[g.rng.below(candidates.len())].id;
            if !related.contains(r) {
                related.push(r.clone());
            }
        }
        let mut text = String::from("---\n");
        let body = if internal {
            let (topic, _) = *g.rng.pick(MANUAL_TOPICS);
            let aspect = ["基本", "例外", "判断基準", "記録のしかた", "よくある誤り"][g.rng.below(5)];
            let _ = writeln!(text, "title: {}", yaml_str(&format!("{topic}の対応手順（{aspect}）")));
            let _ = writeln!(text, "category: {mid}\naudience: internal\ntags: [{topic}, 社内手順]");
            g.manual_body(topic)
        } else {
            let (title, aliases, tags) = g.title(c);
            let _ = writeln!(text, "title: {}", yaml_str(&title));
            let _ = writeln!(text, "category: {category}");
            let _ = writeln!(text, "tags: [{}]", tags.iter().map(|t| yaml_str(t)).collect::<Vec<_>>().join(", "));
            if !aliases.is_empty() {
                text.push_str("aliases:\n");
                for a in &aliases {
                    let _ = writeln!(text, "  - {}", yaml_str(a));
                }
            }
            g.public_body(c, &candidates)
        };
        if !related.is_empty() {
            let _ = writeln!(text, "related: [{}]", related.join(", "));
        }
        let _ = writeln!(text, "updated: {}", date(&mut g.rng, 2026));
        if g.rng.chance(20) {
            let _ = writeln!(text, "review_by: {}", date(&mut g.rng, 2030));
        }
        text.push_str("---\n");
        text.push_str(&body);
        bytes += text.len();
        fs::write(dir.join(format!("q{n:06}.md")), text)?;
        done.push(Article { id, category, internal });
    }
    let manual = done.iter().filter(|a| a.internal).count();
    eprintln!(
        "gen_corpus: wrote {articles} articles ({manual} internal manual pages), {:.1} MB of Markdown, to {}",
        bytes as f64 / 1e6,
        out.display()
    );
    Ok(())
}
