//! Tests of the lexicon: readings, recognition, corrections, synonyms.

use super::*;

fn lexicon() -> Lexicon {
    let readings = [
        ("ヘンピン", "返品"),
        ("カイヤク", "解約"),
        ("パスワード", "パスワード"),
        ("ハイソウ", "配送"),
        ("ソウリョウ", "送料"),
    ]
    .into_iter()
    .map(|(r, w)| (r.to_string(), w.to_string()))
    .collect();
    let synonyms = vec![vec![
        "スマホ".into(),
        "スマートフォン".into(),
        "携帯電話".into(),
        "携帯".into(),
    ]];
    Lexicon {
        readings,
        synonyms,
        ..Lexicon::default()
    }
}

fn page(id: &str, title: &str, text: &str) -> Page {
    use crate::content::{Audience, Section};
    Page {
        id: id.to_string(),
        path: format!("{id}.md").into(),
        title: title.to_string(),
        category: None,
        tags: Vec::new(),
        audience: Audience::Public,
        aliases: Vec::new(),
        related: Vec::new(),
        updated: None,
        review_by: None,
        featured: None,
        pinned_queries: Vec::new(),
        body: String::new(),
        body_line: 1,
        sections: vec![Section {
            anchor: None,
            heading: None,
            text: text.to_string(),
            line: 1,
        }],
        images: Vec::new(),
    }
}

#[test]
fn kana_runs_become_corpus_words() {
    let l = lexicon();
    let words: Vec<String> = l
        .recognize("カイヤクシタイ", true)
        .into_iter()
        .map(|r| r.word)
        .collect();
    assert_eq!(words, ["解約"]);
    let words: Vec<String> = l
        .recognize("ヘンピンノソウリョウ", true)
        .into_iter()
        .map(|r| r.word)
        .collect();
    assert_eq!(words, ["返品", "送料"]);
}

fn lexicon_of(pairs: &[(&str, &str)]) -> Lexicon {
    let readings = pairs
        .iter()
        .map(|(r, w)| (r.to_string(), w.to_string()))
        .collect();
    Lexicon {
        readings,
        ..Lexicon::default()
    }
}

/// The words heard in `typed` (kana as typed), with IPADIC's reading `grammar`.
fn heard_typed(l: &Lexicon, typed: &str, grammar: &[KanaToken]) -> Vec<String> {
    l.recognize_typed(typed, grammar).into_iter().map(|(_, r)| r.word).collect()
}

fn heard(l: &Lexicon, run: &str, short_words: bool) -> Vec<String> {
    l.recognize(run, short_words)
        .into_iter()
        .map(|r| r.word)
        .collect()
}

#[test]
fn two_kana_words_are_heard_between_explained_pieces_only() {
    let l = lexicon_of(&[
        ("イエ", "家"),
        ("カギ", "鍵"),
        ("ブル", "ブル"),
        ("ツユ", "梅雨"),
        ("ジキ", "時期"),
        ("センタク", "洗濯"),
    ]);
    assert_eq!(heard(&l, "イエノカギヲナクシタ", true), ["家", "鍵"]);
    assert_eq!(
        heard(&l, "ツユノジキノセンタク", true),
        ["梅雨", "時期", "洗濯"]
    );
    assert!(
        heard(&l, "ブルム", true).is_empty(),
        "ブル is followed by a leftover ム"
    );
    assert!(
        heard(&l, "ムブル", true).is_empty(),
        "ブル follows a leftover ム"
    );
    assert_eq!(
        heard(&l, "イエノカギ", false),
        Vec::<String>::new(),
        "two-kana words only where hiragana was typed"
    );
    assert_eq!(heard(&l, "ツユノジキノセンタク", false), ["洗濯"]);
}

#[test]
fn words_read_alike_are_all_offered_and_long_vowels_may_be_left_out() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [
        page("a", "契約期間", "契約期間と更新期間について"),
        page("b", "金融機関", "金融機関からの振込"),
        page("c", "ジョージ", "ジョージの本"),
    ];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    let kikan = lexicon.recognize("キカン", true);
    assert_eq!(kikan.len(), 1);
    assert_eq!(
        kikan[0].words().cloned().collect::<Vec<_>>(),
        ["期間", "機関"],
        "the more frequent first"
    );
    assert_eq!(heard(&lexicon, "ジョジ", true), ["ジョージ"]);
    assert_eq!(heard(&lexicon, "ジョージ", true), ["ジョージ"]);
}

#[test]
fn corrections_are_by_sound() {
    let l = lexicon();
    assert_eq!(
        l.correct("パスワート").map(|r| r.word).as_deref(),
        Some("パスワード")
    );
    assert_eq!(
        l.correct("ヘンピソ").map(|r| r.word).as_deref(),
        Some("返品")
    );
    assert_eq!(
        l.correct("ヘンピン"),
        None,
        "known readings need no correction"
    );
    assert_eq!(l.correct("アイウエオ"), None);
}

#[test]
fn synonyms_match_whole_members_longest_first() {
    let l = lexicon();
    let found = l.synonyms_in("携帯電話がこわれた");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "携帯電話");
    assert!(found[0].1.contains(&"スマホ".to_string()));
    assert!(
        !found[0].1.contains(&"携帯".to_string()),
        "members inside the query are not added again"
    );
    assert!(l.synonyms_in("携").is_empty(), "no partial members");
}

#[test]
fn parallel_build_equals_one_pass() {
    let analyzer = crate::analysis::tests::analyzer();
    let words = [
        "返品の手続き",
        "パスワードの再設定",
        "配送料金の確認",
        "解約の方法",
        "ポイント交換",
        "領収書の発行",
    ];
    let pages: Vec<Page> = (0..300)
        .map(|i| {
            page(
                &format!("p{i}"),
                words[i % words.len()],
                &words[(i * 7) % words.len()].repeat(i % 3 + 1),
            )
        })
        .collect();
    let built = Lexicon::build(analyzer, &pages, &[]);
    assert_eq!(
        built.readings,
        most_frequent(count_readings(analyzer, &pages).counts).0
    );
    assert_eq!(
        built.readings.get("ヘンピン").map(String::as_str),
        Some("返品")
    );
}

#[test]
fn general_synonyms_lead_only_to_words_the_corpus_has() {
    use crate::thesaurus::{Entry, Thesaurus};
    let entry = |w: &str, trigger| Entry {
        word: w.into(),
        trigger,
    };
    let thesaurus = Thesaurus {
        groups: vec![
            vec![
                entry("ワーニング", true),
                entry("注意", true),
                entry("警告", true),
            ],
            vec![entry("閉店", true), entry("クローズ", false)],
            vec![entry("名古屋大学", true), entry("名大", true)],
        ],
    };
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [
        page("a", "営業時間", "ご注意ください。閉店時間は十八時です。"),
        page("b", "配送", "名古屋へのお届け"),
    ];
    let lexicon = Lexicon::build_with(analyzer, &pages, &[], Some(&thesaurus));
    let of = |word: &str| lexicon.general_synonyms_of(&[word.to_string()]);
    assert_eq!(
        of("ワーニング"),
        [("ワーニング".to_string(), vec![vec!["注意".to_string()]])],
        "警告 is not in the corpus"
    );
    assert!(
        of("クローズ").is_empty(),
        "クローズ may be reached but does not expand"
    );
    assert!(
        of("名古屋大学").is_empty(),
        "名大 would only be loose characters"
    );
    let plain = Lexicon::build(analyzer, &pages, &[]);
    assert!(
        plain
            .general_synonyms_of(&["ワーニング".to_string()])
            .is_empty()
    );
}

#[test]
fn edit_distances() {
    assert_eq!(edit_distance("サーバ", "サーバー"), 1);
    assert_eq!(edit_distance("ヘンピン", "ヘンピン"), 0);
    assert_eq!(edit_distance("", "アイ"), 2);
}

#[test]
fn a_slipped_kana_is_read_as_the_word_only_where_nothing_else_explains_it() {
    let l = lexicon_of(&[("カイイン", "会員"), ("トウロク", "登録"), ("ボタン", "ボタン"), ("キャンセル", "キャンセル"), ("イン", "イン"), ("イヌ", "犬")]);
    assert_eq!(heard(&l, "ガイインノトウロク", true), ["会員", "登録"], "ガ for カ");
    assert_eq!(heard(&l, "キャンセルホタン", false), ["キャンセル", "ボタン"], "three katakana are a word");
    assert_eq!(heard(&l, "カイインノトウロク", true), ["会員", "登録"], "no slip where every kana is explained");
    assert!(heard(&l, "イヌツレテ", true).iter().all(|w| w == "犬"), "short hiragana stretches are not read with a slip");
    assert_eq!(heard(&l, "シタインダケド", true), Vec::<String>::new(), "a spoken ending is not the word イン");
}

#[test]
fn a_slip_moves_a_vowel_or_the_voicing_within_a_row() {
    use crate::analysis::kana::slips;
    assert!(slips('カ').contains(&'キ') && slips('カ').contains(&'ガ'));
    assert!(slips('ピ').contains(&'ヒ') && slips('ピ').contains(&'ビ') && slips('ピ').contains(&'パ'));
    assert!(!slips('カ').contains(&'サ'));
    assert!(slips('ン').is_empty() && slips('ー').is_empty());
}

#[test]
fn between_two_full_splits_the_more_common_words_win() {
    let mut l = lexicon_of(&[("ニジ", "虹"), ("ドウシツ", "同室"), ("ジドウ", "児童"), ("シツ", "室")]);
    assert_eq!(heard(&l, "ニジドウシツガ", true), ["虹", "同室"], "without frequencies, fewer pieces win");
    l.frequency = [("ニジ", 1), ("ドウシツ", 1), ("ジドウ", 400), ("シツ", 900)].into_iter().map(|(r, n)| (r.to_string(), n)).collect();
    l.most_frequent = 900;
    assert_eq!(heard(&l, "ニジドウシツガ", true), ["児童", "室"], "children's room, not rainbow and roommate");
}

/// [`Lexicon::correct`] as it was first written: every reading compared with the typed one.
fn correct_by_scanning(l: &Lexicon, reading: &str) -> Option<(String, String)> {
    let n = reading.chars().count();
    if n < 4 || l.readings.contains_key(reading) {
        return None;
    }
    let max = if n >= 7 { 2 } else { 1 };
    l.readings
        .iter()
        .filter(|(r, _)| r.chars().count().abs_diff(n) <= max)
        .filter_map(|(r, w)| {
            let d = edit_distance(reading, r);
            (d <= max).then_some((d, r, w))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, r, w)| (r.clone(), w.clone()))
}

#[test]
fn corrections_by_length_and_kana_match_a_scan_of_every_reading() {
    // A small alphabet, so that many readings are one or two edits from each other; kana 64
    // code points apart share a bit of the filter.
    let alphabet: Vec<char> = "アイウカキサシタチナーヴ\u{30A0}\u{3060}".chars().collect();
    let mut seed = 7u64;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let word = |next: &mut dyn FnMut(usize) -> usize| -> String {
        let len = 2 + next(9);
        (0..len).map(|_| alphabet[next(alphabet.len())]).collect()
    };
    let pairs: Vec<(String, String)> = (0..3000).map(|i| (word(&mut next), format!("w{i}"))).collect();
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(r, w)| (r.as_str(), w.as_str())).collect();
    let l = lexicon_of(&pairs);
    let mut found = 0;
    for _ in 0..3000 {
        let typed = word(&mut next);
        // Three kana are corrected by slips alone (`three_katakana_are_corrected_only_by_a_slip`).
        if typed.chars().count() == 3 {
            continue;
        }
        let expected = correct_by_scanning(&l, &typed);
        found += usize::from(expected.is_some());
        assert_eq!(l.correct(&typed).map(|r| (r.reading, r.word)), expected, "{typed}");
        assert_eq!(l.correct(&typed).map(|r| (r.reading, r.word)), expected, "{typed}, remembered");
    }
    assert!(found > 100, "only {found} corrections: the test compares too little");
}

#[test]
fn verbs_are_heard_by_the_forms_customers_type() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [page("a", "クーポンが使えません", "クーポンを使えない場合は、有効期限を確かめてください")];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    let heard: Vec<String> = lexicon.recognize("クーポンツカエナイ", true).into_iter().map(|r| r.word).collect();
    assert_eq!(heard, ["クーポン", "使える"]);
    assert!(lexicon.conjugates("使える"), "a verb heard by its form weighs as a verb");
    assert!(!lexicon.conjugates("クーポン"));
}

#[test]
fn a_word_heard_inside_katakana_is_a_katakana_word_in_one_script() {
    let l = lexicon_of(&[("シンカ", "進化"), ("ポール", "ポール"), ("シンガポール", "シンガポール"), ("ナスノ", "那須野"), ("カード", "カード"), ("ポイント", "ポイント"), ("ゴミ", "ごみ")]);
    let typed = |t: &str| heard_typed(&l, t, &[]);
    assert_eq!(typed("シンカポールでの"), ["シンガポール"], "シンカ inside a katakana word is not 進化");
    assert!(!typed("メニーナスの").contains(&"那須野".to_string()), "a word is typed in one script");
    assert_eq!(typed("ポイントカードの"), ["ポイント", "カード"], "katakana words side by side");
    assert_eq!(typed("ゴミのだしかた"), ["ごみ"], "a katakana stretch heard whole may be any word");
    assert_eq!(typed("シンカポール"), ["進化", "ポール"], "all in katakana (half-width kana) says nothing");
}

#[test]
fn nouns_the_corpus_writes_together_are_heard_together() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [
        page("gut", "消化管", "消化管は口から肛門までの管です。"),
        page("prize", "賞", "果敢に挑んだ人に賞を贈ります。"),
        page("coal", "石炭", "石炭の生産量は年ごとに変わります。"),
        page("rival", "凌駕", "新製品は旧製品を凌駕する性能です。"),
    ];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    let heard = |run: &str| -> Vec<(String, String)> {
        lexicon.recognize_typed(run, &[]).into_iter().map(|(span, r)| (run.chars().skip(span.start).take(span.len()).collect(), r.word)).collect()
    };
    // Word by word, 賞 + 果敢 covers しょうかかん in fewer pieces than 消化 + 管.
    assert_eq!(heard("しょうかかんのかたち"), [("しょうか".to_string(), "消化".to_string()), ("かん".into(), "管".into())]);
    // 生産 + 量 + が, not 生産 + 凌駕.
    let words: Vec<String> = heard("せいさんりょうがおおい").into_iter().map(|(_, w)| w).collect();
    assert_eq!(words, ["生産", "量"]);
}

#[test]
fn three_katakana_are_corrected_only_by_a_slip() {
    let l = lexicon_of(&[("アンネ", "アンネ"), ("ボーア", "ボーア"), ("ボーイ", "ボーイ")]);
    assert_eq!(l.correct("アンノ").map(|r| r.word), Some("アンネ".to_string()));
    // One edit that is no slip (ン for ネ) is not taken in three kana.
    assert_eq!(l.correct("アンン"), None);
    // A katakana word the corpus has still names its neighbours one slip away.
    assert_eq!(l.slipped_words("ボーイ"), ["ボーア"]);
    assert!(l.slipped_words("ボー").is_empty());
}

#[test]
fn a_word_wins_over_nouns_read_the_same_way_side_by_side() {
    // 種類 is a word; 手 (シュ, as in 運転手) + 類 were written side by side once. As rare as each
    // other, the word is what was meant.
    let mut l = lexicon_of(&[("シュルイ", "種類"), ("シュ", "手"), ("ルイ", "類")]);
    let compound: compounds::Compound = serde_json::from_value(serde_json::json!({"k": [2, 2, 0], "w": "手\t類", "n": 1})).unwrap();
    l.compounds.insert("シュルイ".into(), compound);
    let heard = heard_typed(&l, "なにしゅるいがある", &[]);
    assert_eq!(heard, ["種類"], "種類 is one word, not 手 + 類");
}

#[test]
fn a_word_does_not_cut_through_what_ipadic_reads_in_the_kana() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [
        page("nun", "尼僧", "尼僧の暮らし。投資の話。"),
        page("worth", "相当", "三万両は今のいくらに相当しますか。"),
    ];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    let run = "いくらにそうとうしますか";
    let grammar = analyzer.kana_grammar(&kana::to_katakana(run));
    let spans: Vec<String> = grammar.iter().map(|t| run.chars().skip(t.span.start).take(t.span.len()).collect()).collect();
    assert!(spans.contains(&"そうとう".to_string()) && spans.contains(&"に".to_string()), "{spans:?}");
    let heard = |grammar: &[KanaToken]| heard_typed(&lexicon, run, grammar);
    assert!(heard(&[]).contains(&"尼僧".to_string()), "without IPADIC's reading: {:?}", heard(&[]));
    assert_eq!(heard(&grammar), ["相当"], "いくら asks; に|そうとう, not 尼僧 + 投資");
}

#[test]
fn a_two_kana_word_ipadic_also_reads_is_heard() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [page("points", "ポイントの貯まり方", "ポイントはお買い物で貯まります。使い方は次のとおりです。")];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    let run = "たまりかた";
    let heard = |grammar: &[KanaToken]| heard_typed(&lexicon, run, grammar);
    assert!(!heard(&[]).contains(&"方".to_string()), "a two-kana guess alone: {:?}", heard(&[]));
    assert!(heard(&analyzer.kana_grammar("タマリカタ")).contains(&"方".to_string()), "{:?}", heard(&analyzer.kana_grammar("タマリカタ")));
}

#[test]
fn three_hiragana_are_read_with_their_voicing_slipped() {
    let l = lexicon_of(&[("デンワ", "電話"), ("テン", "点"), ("リョウシュウショ", "領収書"), ("ジュウショ", "住所")]);
    let heard = |typed: &str| heard_typed(&l, typed, &[]);
    assert_eq!(heard("てんわ"), ["電話"], "でんわ without its voicing mark, not 点 + わ");
    assert_eq!(heard("りょゔしゅうしょ"), ["領収書"], "ゔ for う");
    assert!(!heard("てんし").contains(&"電話".to_string()), "a vowel moved in three kana is not a slip taken: {:?}", heard("てんし"));
}

#[test]
fn a_slipped_word_does_not_take_in_a_particle_ipadic_reads() {
    let analyzer = crate::analysis::tests::analyzer();
    // 逃す is a common word here, 歌詞 a rare one: the rarity alone would choose 逃し.
    let pages = [
        page("lyrics", "歌詞", "この歌の歌詞は方言で書かれています。"),
        page("miss", "逃す", "機会を逃しました。好機を逃し、終電を逃し、魚を逃しました。見逃し配信もあります。"),
    ];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    let run = "のかしはどのほうげんでかかれていますか";
    let heard = heard_typed(&lexicon, run, &analyzer.kana_grammar(&kana::to_katakana(run)));
    assert!(heard.contains(&"歌詞".to_string()) && !heard.iter().any(|w| w.starts_with('逃')), "の|かし|は, not 逃し: {heard:?}");
}

#[test]
fn katakana_nouns_written_beside_a_noun_are_a_compound() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [page("boer", "ボーア戦争", "ボーア戦争は南アフリカで起きました。")];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    assert!(lexicon.written_together(&[("ボーア", "ボーア"), ("センソウ", "戦争")]));
    assert!(!lexicon.written_together(&[("ボーイ", "ボーイ"), ("センソウ", "戦争")]));
    assert!(!lexicon.written_together(&[("センソウ", "戦争"), ("ボーア", "ボーア")]), "in the order written");
}

/// A ヴ spelling typed in hiragana (からゔぁっじょ) is heard as the corpus word, which the index
/// folds to the common kana (カラバッジョ); before, only its reading with ヴ was looked up, and
/// nothing has that reading.
#[test]
fn a_vu_spelling_typed_in_kana_is_heard() {
    let analyzer = crate::analysis::tests::analyzer();
    let l = Lexicon::build(analyzer, &[page("art", "カラヴァッジョの絵画", "ヴァイオリンを弾く人物を描いた。")], &[]);
    assert_eq!(heard_typed(&l, "からゔぁっじょ", &[]), ["カラバッジョ"]);
    assert_eq!(heard_typed(&l, "ゔぁいおりん", &[]), ["バイオリン"]);
    assert_eq!(heard_typed(&l, "カラヴァッジョ", &[]), ["カラバッジョ"]);
}

#[test]
fn question_words_and_grammar_typed_in_hiragana_are_not_read_as_words() {
    let l = lexicon_of(&[
        ("ミサワ", "三沢"), ("ハイツ", "ハイツ"), ("ケッコン", "結婚"), ("イクラ", "イクラ"), ("ソウリョウ", "送料"), ("ナンバー", "ナンバー"),
        ("チガウ", "違う"), ("ヤチン", "家賃"), ("ドノ", "殿"), ("クニ", "国"), ("ナント", "南都"), ("ヨブ", "呼ぶ"), ("ドコモ", "ドコモ"), ("シハライ", "支払い"),
        ("モットモ", "モットモ"), ("フルイ", "古い"), ("アッタ", "アッタ"), ("バショ", "場所"),
        ("イチ", "位置"), ("テイル", "テイル"), ("マチ", "町"),
    ]);
    let typed = |t: &str| heard_typed(&l, t, &[]);
    assert_eq!(typed("みさわはいつけっこんしたの"), ["三沢", "結婚"], "は|いつ, not ハイツ");
    assert_eq!(typed("そうりょうはいくらですか"), ["送料"], "いくら typed in hiragana asks how much");
    assert_eq!(typed("みさわハイツのやちん"), ["三沢", "ハイツ", "家賃"], "typed in katakana: the word");
    assert_eq!(typed("なんばーがちがう"), ["ナンバー", "違う"], "a word that starts like a question word is still heard");
    assert_eq!(typed("どのくにのやちん"), ["国", "家賃"], "どの asks which: it is no 殿");
    assert_eq!(typed("なんとよぶ"), ["呼ぶ"], "なん|と, not 南都");
    assert_eq!(typed("どこもしはらい"), ["ドコモ", "支払い"], "どこも is as often ドコモ, a way to pay");
    assert_eq!(typed("もっともふるいくに"), ["古い", "国"], "もっとも is an adverb, typed in hiragana");
    assert_eq!(typed("くにがあったばしょ"), ["国", "場所"], "あった is grammar");
    assert_eq!(typed("いちしているまち"), ["位置", "町"], "ている is grammar, not テイル");
}

#[test]
fn a_synonym_no_page_writes_is_heard_in_kana() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [page("paypay", "PayPayで支払えますか", "PayPayでお支払いいただけます。")];
    let synonyms = vec![vec!["PayPay".to_string(), "ペイペイ".to_string()], vec!["メールアドレス".to_string(), "メアド".to_string()]];
    let lexicon = Lexicon::build(analyzer, &pages, &synonyms);
    assert_eq!(heard_typed(&lexicon, "ぺいぺい", &[]), ["ペイペイ"], "a katakana member, typed in hiragana");
    assert_eq!(heard_typed(&lexicon, "めあど", &[]), ["メアド"]);
    let without = Lexicon::build(analyzer, &pages, &[]);
    assert!(heard_typed(&without, "ぺいぺい", &[]).is_empty(), "no page writes ペイペイ");
}

#[test]
fn a_verb_heard_by_its_form_keeps_its_base_reading() {
    let analyzer = crate::analysis::tests::analyzer();
    let pages = [page("milk", "牛乳の泡立て", "牛乳をよくかき回してください。")];
    let lexicon = Lexicon::build(analyzer, &pages, &[]);
    assert!(lexicon.conjugates("かき回す"), "heard by かきまわし");
    assert_eq!(lexicon.base_reading("かき回す"), Some("カキマワス"));
    assert_eq!(lexicon.base_reading("牛乳"), None, "a noun has no base form");
}
