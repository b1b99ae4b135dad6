//! Every kind of error: the right `LINE:COL` and message. One row per input.

use super::errors;

/// (file text, expected errors as `LINE:COL: MESSAGE`).
const CASES: &[(&str, &[&str])] = &[
    // Syntax errors carry toml's span.
    (
        "listen = [\"8080\"\n",
        &["1:17: TOML syntax error: unclosed array, expected `]`"],
    ),
    (
        "a = \n",
        &["1:5: TOML syntax error: string values must be quoted, expected literal string"],
    ),
    ("x = 1\nx = 2\n", &["2:1: TOML syntax error: duplicate key"]),
    // Unknown keys, with did-you-mean over the keys valid at that place.
    (
        "[mpm]\nstart_servers = 2\nmx_spare_servers = 3\n",
        &["3:1: unknown key \"mx_spare_servers\" in [mpm] (did you mean \"max_spare_servers\"?)"],
    ),
    (
        "lisen = [\"80\"]\n",
        &["1:1: unknown key \"lisen\" at the top level (did you mean \"listen\"?)"],
    ),
    (
        "start_servers = 3\n",
        &["1:1: unknown key \"start_servers\" at the top level (it belongs in [mpm])"],
    ),
    (
        "[http]\nlisten = [\"80\"]\n",
        &[
            "2:1: unknown key \"listen\" in [http] (it belongs at the top level, before any [section] header)",
        ],
    ),
    (
        "[http]\n  keepalive = true\n",
        &["2:3: unknown key \"keepalive\" in [http] (did you mean \"keep_alive\"?)"],
    ),
    (
        "[[location]]\npath = \"/s\"\nhandlr = \"server-status\"\n",
        &["3:1: unknown key \"handlr\" in [[location]] (did you mean \"handler\"?)"],
    ),
    (
        "[[balancer]]\nname = \"b\"\n[[balancer.member]]\nurl = \"http://a\"\nrout = \"r\"\n",
        &["5:1: unknown key \"rout\" in [[balancer.member]] (did you mean \"route\"?)"],
    ),
    // Sections of the wrong shape.
    (
        "mpm = 5\n",
        &["1:7: invalid value for \"mpm\": expected a table ([mpm]), found an integer"],
    ),
    (
        "[directory]\npath = \"x\"\n",
        &[
            "1:1: invalid value for \"directory\": expected an array of tables ([[directory]]), found a single table (write [[directory]], with double brackets)",
        ],
    ),
    // Wrong TOML types.
    (
        "[mpm]\nstart_servers = \"5\"\n",
        &[
            "2:17: invalid value for \"mpm.start_servers\": expected a non-negative integer, found a string",
        ],
    ),
    (
        "[mpm]\nserver_limit = -3\n",
        &[
            "2:16: invalid value for \"mpm.server_limit\": expected a non-negative integer, found -3",
        ],
    ),
    (
        "[http]\nkeep_alive = \"on\"\n",
        &["2:14: invalid value for \"http.keep_alive\": expected true or false, found a string"],
    ),
    (
        "listen = \"8080\"\n",
        &["1:10: invalid value for \"listen\": expected a list, found a string"],
    ),
    (
        "listen = [8080]\n",
        &["1:11: invalid value for \"listen\": expected a string, found 8080"],
    ),
    (
        "[files]\nadd_type = [\"md\"]\n",
        &["2:12: invalid value for \"files.add_type\": expected a table, found a list"],
    ),
    // Values.
    (
        "listen = [\"127.0.0.1:99999\"]\n",
        &[
            "1:11: invalid value for \"listen\": \"127.0.0.1:99999\" is not an address (expected \"PORT\", \"IP:PORT\" or \"[IPv6]:PORT\")",
        ],
    ),
    (
        "listen = []\n",
        &[
            "1:10: invalid value for \"listen\": the list is empty (give at least one address, e.g. [\"127.0.0.1:8080\"])",
        ],
    ),
    (
        "log_level = \"warning\"\n",
        &[
            "1:13: invalid value for \"log_level\": \"warning\" is not one of \"error\", \"warn\", \"notice\", \"info\", \"debug\" or \"trace\" (did you mean \"warn\"?)",
        ],
    ),
    (
        "server_tokens = \"everything\"\n",
        &[
            "1:17: invalid value for \"server_tokens\": \"everything\" is not one of \"full\", \"os\", \"minimal\", \"minor\", \"major\" or \"prod\"",
        ],
    ),
    (
        "[http]\ntimeout = \"5x\"\n",
        &[
            "2:11: invalid value for \"http.timeout\": \"5x\" is not a duration (expected an integer in seconds, or a number with a unit: \"250ms\", \"5s\", \"2m\", \"1h\")",
        ],
    ),
    (
        "[http]\ntimeout = 0\n",
        &["2:11: invalid value for \"http.timeout\": must be greater than 0"],
    ),
    (
        "graceful_shutdown_timeout = -1\n",
        &[
            "1:29: invalid value for \"graceful_shutdown_timeout\": -1 is negative (expected an integer in seconds, or a number with a unit: \"250ms\", \"5s\", \"2m\", \"1h\")",
        ],
    ),
    (
        "listen_backlog = 0\n",
        &["1:18: invalid value for \"listen_backlog\": must be between 1 and 2147483647"],
    ),
    (
        "[http]\nfile_etag = [\"size\", \"none\"]\n",
        &[
            "2:22: invalid value for \"http.file_etag\": \"none\" cannot be combined with other components",
        ],
    ),
    (
        "[http]\nadd_default_charset = \"utf 8\"\n",
        &[
            "2:23: invalid value for \"http.add_default_charset\": \"utf 8\" is not \"off\", \"on\" or a charset name (such as \"utf-8\")",
        ],
    ),
    (
        "[files]\noptions = [\"Indexes\", \"+MultiViews\"]\n",
        &[
            "2:23: invalid value for \"files.options\": either all options must start with + or -, or none may (as in Apache 2.4)",
        ],
    ),
    (
        "[files]\nadd_type = { \"markdown\" = [\".md\"] }\n",
        &[
            "2:14: invalid value for \"files.add_type\": \"markdown\" is not a media type (expected \"type/subtype\", parameters after \";\")",
        ],
    ),
    (
        "[files]\nadd_type = { \"text/markdown\" = [\".md\"], \"text/x-markdown\" = [\"md\"] }\n",
        &[
            "2:62: invalid value for \"files.add_type\": extension \".md\" is given for both \"text/markdown\" and \"text/x-markdown\"",
        ],
    ),
    (
        "error_log = \"|rotatelogs\"\n",
        &[
            "1:13: invalid value for \"error_log\": piped logs (\"|command\") are not supported (give a file name)",
        ],
    ),
    // Aliases.
    (
        "[mpm]\nmax_request_workers = 10\nmax_clients = 10\n",
        &[
            "3:15: \"mpm.max_clients\" is the deprecated name of \"mpm.max_request_workers\", which is also given; keep only \"max_request_workers\"",
        ],
    ),
    (
        "[mpm]\nmax_requests_per_child = 5\nmax_connections_per_child = 5\n",
        &[
            "2:26: \"mpm.max_requests_per_child\" is the deprecated name of \"mpm.max_connections_per_child\", which is also given; keep only \"max_connections_per_child\"",
        ],
    ),
    (
        "[mpm]\nmodule = \"event\"\nasync_request_worker_factor = 0\n",
        &["3:31: invalid value for \"mpm.async_request_worker_factor\": must be a positive number"],
    ),
    (
        "[mpm]\nasync_request_worker_factor = \"2\"\n",
        &[
            "2:31: invalid value for \"mpm.async_request_worker_factor\": expected a number, found a string",
        ],
    ),
    // Not supported yet: set to anything but the default.
    (
        "[files]\nindex_options = [\"FancyIndexing\", \"FancyIndex\"]\n",
        &[
            "2:35: invalid value for \"files.index_options\": expected \"FancyIndexing\" or \"HTMLTable\" (did you mean \"FancyIndexing\"?)",
        ],
    ),
    (
        "[files]\nallow_override = [\"FileInfo\", \"Indexs\"]\n",
        &[
            "2:31: invalid value for \"files.allow_override\": \"Indexs\" is not an override class (expected \"None\", \"All\", \"Options\", \"FileInfo\", \"Indexes\", \"Limit\" or \"AuthConfig\") (did you mean \"Indexes\"?)",
        ],
    ),
    (
        "[files]\naccess_file_name = [\"a/b\"]\n",
        &["2:21: invalid value for \"files.access_file_name\": expected a file name without '/'"],
    ),
    (
        "[files]\nerror_document = { \"200\" = \"/ok.html\", \"404\" = \"\" }\n",
        &[
            "2:20: invalid value for \"files.error_document\": \"200\" is not an error status (expected 400 to 599)",
            "2:48: invalid value for \"files.error_document.404\": expected a local URL, a full URL or a message",
        ],
    ),
    (
        "[files]\nadd_charset = { \"utf-8\" = [\".txt\"], \"latin1\" = [\"TXT\"] }\n",
        &[
            "2:28: invalid value for \"files.add_charset\": extension \".txt\" is given for both \"latin1\" and \"utf-8\"",
        ],
    ),
    (
        "[files]\nadd_handler = { \"cgi-script\" = [\".cgi\"] }\n",
        &[
            "2:17: invalid value for \"files.add_handler\": \"cgi-script\" is not a handler mpmd has (only \"type-map\")",
        ],
    ),
    (
        "[files]\ndefault_language = \"en_GB\"\n",
        &["2:20: invalid value for \"files.default_language\": \"en_GB\" is not a language tag"],
    ),
    (
        "[[directory]]\npath = \"htdocs\"\noptions = [\"Indexes\", \"MultiViews\"]\nrequire = [\"not ip 10.1\"]\n",
        &[
            "4:12: invalid value for \"directory[0].require\": \"not ip 10.1\": a negative Require line has no effect here (Apache: \"negative Require directive has no effect in <RequireAny> directive\")",
        ],
    ),
    // Sections are validated too, so typos surface now.
    (
        "[[proxy]]\nurl = \"ftp://x\"\nacquire = \"5x\"\n",
        &[
            "1:1: missing key \"path\" in proxy[0]",
            "2:7: invalid value for \"proxy[0].url\": \"ftp://x\": ftp:// backends are not supported; only http:// backends are",
            "3:11: invalid value for \"proxy[0].acquire\": \"5x\" is not a duration (expected an integer in milliseconds, or a number with a unit: \"250ms\", \"5s\", \"2m\", \"1h\")",
        ],
    ),
    (
        "[[directory]]\noptions = [\"Indexes\", \"-FollowSymLinks\"]\nrequire = \"ip 10.0.0.300\"\n",
        &[
            "1:1: missing key \"path\" in directory[0]",
            "2:23: invalid value for \"directory[0].options\": either all options must start with + or -, or none may (as in Apache 2.4)",
            "3:11: invalid value for \"directory[0].require\": \"10.0.0.300\" is not an IP address, network or prefix",
        ],
    ),
    (
        "[[location]]\npath = \"server-status\"\nhandler = \"server-info\"\nrequire = [\"locl\"]\n",
        &[
            "2:8: invalid value for \"location[0].path\": expected a URL path starting with '/'",
            "3:11: invalid value for \"location[0].handler\": \"server-info\" is not a handler (expected \"server-status\" or \"balancer-manager\")",
            "4:12: invalid value for \"location[0].require\": \"locl\" is not a require line mpmd knows (expected \"all granted\", \"all denied\", \"local\", \"ip ADDRESS...\" or \"host NAME...\") (did you mean \"local\"?)",
        ],
    ),
    (
        "[[location]]\npath = \"/b\"\nhandler = \"balancer-manager\"\n[[location]]\nrequire = [\"host a.example\", \"not ip 10.1\", \"local\"]\n",
        &[
            "4:1: missing key \"path\" in location[1]",
            "5:30: invalid value for \"location[1].require\": \"not ip 10.1\": a negative Require line has no effect here (Apache: \"negative Require directive has no effect in <RequireAny> directive\")",
        ],
    ),
    // Files that must exist.
    (
        "[files]\ndocument_root = \"nowhere\"\n",
        &[
            "2:17: invalid value for \"files.document_root\": \"ROOT/nowhere\": no such file or directory",
        ],
    ),
    (
        "[files]\ndocument_root = \"conf/mime.types\"\n",
        &[
            "2:17: invalid value for \"files.document_root\": \"ROOT/conf/mime.types\" is not a directory",
        ],
    ),
    (
        "[http]\ntypes_config = \"conf/missing.types\"\n",
        &[
            "2:16: invalid value for \"http.types_config\": \"ROOT/conf/missing.types\" cannot be read: no such file or directory",
        ],
    ),
    (
        "server_root = \"elsewhere\"\n",
        &[
            "1:1: invalid value for \"http.types_config\": \"ROOT/elsewhere/conf/mime.types\" cannot be read: no such file or directory (this is the default; set \"http.types_config\" to change it)",
            "1:1: invalid value for \"files.document_root\": \"ROOT/elsewhere/htdocs\": no such file or directory (this is the default; set \"files.document_root\" to change it)",
        ],
    ),
    // All errors are collected, in file order.
    (
        "listen = [\"x\"]\n[mpm]\nstart_servers = true\nbogus = 1\n[http]\ntimeout = \"1y\"\n",
        &[
            "1:11: invalid value for \"listen\": \"x\" is not an address (expected \"PORT\", \"IP:PORT\" or \"[IPv6]:PORT\")",
            "3:17: invalid value for \"mpm.start_servers\": expected a non-negative integer, found a boolean",
            "4:1: unknown key \"bogus\" in [mpm]",
            "6:11: invalid value for \"http.timeout\": \"1y\" is not a duration (expected an integer in seconds, or a number with a unit: \"250ms\", \"5s\", \"2m\", \"1h\")",
        ],
    ),
];

#[test]
fn each_error_kind_has_its_place_and_message() {
    let mut failures = Vec::new();
    for (text, expected) in CASES {
        let root = super::TempRoot::new();
        let got: Vec<String> = match root.parse(text) {
            Ok(_) => vec!["(loaded without errors)".into()],
            Err(e) => {
                e.0.iter()
                    .map(|e| format!("{}:{}: {}", e.line, e.col, e.message))
                    .map(|line| line.replace(&root.dir.display().to_string(), "ROOT"))
                    .collect()
            }
        };
        if got != *expected {
            failures.push(format!(
                "{text}\n  expected: {expected:#?}\n  got: {got:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn errors_name_the_key() {
    let root = super::TempRoot::new();
    let text = "[mpm]\nmx_spare_servers = 3\nstart_servers = \"x\"\n[[balancer]]\n[[balancer.member]]\nloadfactor = 0\n";
    let keys: Vec<String> = root
        .parse(text)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(
        keys,
        [
            "mpm.mx_spare_servers",
            "mpm.start_servers",
            "balancer[0].name",
            "balancer[0].member[0].url",
            "balancer[0].member[0].loadfactor",
        ]
    );
}

#[test]
fn display_is_file_line_col_message() {
    let root = super::TempRoot::new();
    let errors = root.parse("[mpm]\nmx_spare_servers = 3\n").unwrap_err();
    assert_eq!(
        errors.to_string(),
        format!(
            "{}:2:1: unknown key \"mx_spare_servers\" in [mpm] (did you mean \"max_spare_servers\"?)",
            root.file().display()
        )
    );
    let two = errors_of_two();
    assert_eq!(two.lines().count(), 2, "{two}");
}

fn errors_of_two() -> String {
    errors("a = 1\nb = 2\n").join("\n")
}

#[test]
fn unreadable_file_has_no_position() {
    let root = super::TempRoot::new();
    let missing = root.dir.join("missing.toml");
    let errors = crate::config::load(&missing, None).unwrap_err();
    assert_eq!(errors.0[0].line, 0);
    assert_eq!(
        errors.to_string(),
        format!(
            "{}: could not read the configuration file: no such file or directory",
            missing.display()
        )
    );
}
