//! A misconfigured production identity stops the chain: for every input of
//! the environment, workload identity and managed identity links that is
//! present but wrong, the chain stops at that link, no later link runs (no
//! process started, no request sent), and the error names the variable.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::error::Error as _;
use std::sync::{Arc, Mutex};

use common::*;
use credential_core::test_util::ScriptedProcessRunner;
use credential_core::{Env, Fs, ProviderContext, async_trait};
use credential_default::{
    CredentialError, CredentialKind, DefaultAzureCredential, HttpClient, HttpRequest, HttpResponse,
    TransportError, TransportErrorKind,
};

/// A PKCS#12 file whose password is "test-password".
const P12: &[u8] = include_bytes!("../../credential-env/tests/data/cert-password.p12");

/// Records every request and connects nowhere.
#[derive(Debug, Default)]
struct RecordingHttp {
    urls: Mutex<Vec<String>>,
}

#[async_trait]
impl HttpClient for RecordingHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.urls.lock().unwrap().push(request.url.to_string());
        Err(TransportError::new(
            TransportErrorKind::Connect,
            "connection refused",
        ))
    }
}

/// One present-but-wrong input.
struct Case {
    what: &'static str,
    env: Vec<(&'static str, &'static str)>,
    files: Vec<(&'static str, Vec<u8>)>,
    exclude: Vec<CredentialKind>,
    /// The link that stops the chain.
    stops_at: &'static str,
    /// Text the stopping error must contain (the variable, what is wrong).
    says: Vec<&'static str>,
}

const SP: [(&str, &str); 2] = [("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", CLIENT_ID)];

fn with_sp(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    SP.iter().copied().chain(extra.iter().copied()).collect()
}

fn case(
    what: &'static str,
    env: Vec<(&'static str, &'static str)>,
    stops_at: &'static str,
    says: &[&'static str],
) -> Case {
    Case {
        what,
        env,
        files: Vec::new(),
        exclude: Vec::new(),
        stops_at,
        says: says.to_vec(),
    }
}

const ENV: &str = "EnvironmentCredential";
const WI: &str = "WorkloadIdentityCredential";
const MI: &str = "ManagedIdentityCredential";

fn environment_cases() -> Vec<Case> {
    let secret = ("AZURE_CLIENT_SECRET", SECRET);
    let cert = ("AZURE_CLIENT_CERTIFICATE_PATH", "/etc/cert.p12");
    vec![
        case(
            "malformed tenant",
            vec![
                ("AZURE_TENANT_ID", "contoso tenant!"),
                ("AZURE_CLIENT_ID", CLIENT_ID),
                secret,
            ],
            ENV,
            &["AZURE_TENANT_ID is \"contoso tenant!\"", "not a tenant id"],
        ),
        case(
            "client id with whitespace",
            vec![
                ("AZURE_TENANT_ID", TENANT),
                ("AZURE_CLIENT_ID", "my client"),
                secret,
            ],
            ENV,
            &["AZURE_CLIENT_ID is \"my client\""],
        ),
        case(
            "http authority host",
            with_sp(&[secret, ("AZURE_AUTHORITY_HOST", "http://login.example.com")]),
            ENV,
            &["AZURE_AUTHORITY_HOST \"http://login.example.com\"", "https"],
        ),
        case(
            "unparsable authority host",
            with_sp(&[secret, ("AZURE_AUTHORITY_HOST", "https://[::1")]),
            ENV,
            &["AZURE_AUTHORITY_HOST", "not a valid URL"],
        ),
        case(
            "malformed additionally allowed tenant",
            with_sp(&[
                secret,
                ("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "fabrikam;bad tenant"),
            ]),
            ENV,
            &["AZURE_ADDITIONALLY_ALLOWED_TENANTS", "\"bad tenant\""],
        ),
        case(
            "unreadable certificate path",
            with_sp(&[cert]),
            ENV,
            &[
                "AZURE_CLIENT_CERTIFICATE_PATH",
                "/etc/cert.p12",
                "could not read",
            ],
        ),
        Case {
            files: vec![("/etc/cert.p12", P12.to_vec())],
            ..case(
                "wrong certificate password",
                with_sp(&[cert, ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "wrong")]),
                ENV,
                &["AZURE_CLIENT_CERTIFICATE_PASSWORD does not open"],
            )
        },
        Case {
            files: vec![("/etc/cert.p12", P12.to_vec())],
            ..case(
                "missing certificate password",
                with_sp(&[cert]),
                ENV,
                &["protected by a password: set AZURE_CLIENT_CERTIFICATE_PASSWORD"],
            )
        },
        Case {
            files: vec![("/etc/cert.p12", b"not a certificate".to_vec())],
            ..case(
                "not a certificate",
                with_sp(&[cert]),
                ENV,
                &["neither PEM nor PKCS#12", "AZURE_CLIENT_CERTIFICATE_PATH"],
            )
        },
        case(
            "send-chain flag that is not a boolean",
            with_sp(&[cert, ("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "yes")]),
            ENV,
            &["AZURE_CLIENT_SEND_CERTIFICATE_CHAIN is \"yes\""],
        ),
    ]
}

fn workload_identity_cases() -> Vec<Case> {
    let file = ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token");
    let token = || vec![("/var/run/token", b"federated".to_vec())];
    vec![
        Case {
            files: token(),
            ..case(
                "malformed tenant",
                vec![
                    ("AZURE_TENANT_ID", "a/b"),
                    ("AZURE_CLIENT_ID", CLIENT_ID),
                    file,
                ],
                WI,
                &["AZURE_TENANT_ID is \"a/b\""],
            )
        },
        Case {
            files: token(),
            ..case(
                "http authority host",
                with_sp(&[file, ("AZURE_AUTHORITY_HOST", "http://login.example.com")]),
                WI,
                &["AZURE_AUTHORITY_HOST", "must use https"],
            )
        },
        Case {
            files: token(),
            ..case(
                "malformed additionally allowed tenant",
                with_sp(&[file, ("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "a b")]),
                WI,
                &["AZURE_ADDITIONALLY_ALLOWED_TENANTS"],
            )
        },
        case(
            "unreadable token file",
            with_sp(&[file]),
            WI,
            &[
                "AZURE_FEDERATED_TOKEN_FILE",
                "/var/run/token",
                "could not read",
            ],
        ),
        Case {
            files: vec![("/var/run/token", b"  \n".to_vec())],
            ..case(
                "empty token file",
                with_sp(&[file]),
                WI,
                &["AZURE_FEDERATED_TOKEN_FILE", "is empty"],
            )
        },
    ]
}

fn managed_identity_cases() -> Vec<Case> {
    let header = ("IDENTITY_HEADER", "header-secret");
    vec![
        case(
            "App Service endpoint that is not a URL",
            vec![("IDENTITY_ENDPOINT", "not a url"), header],
            MI,
            &["IDENTITY_ENDPOINT \"not a url\" is not a valid http(s) URL"],
        ),
        case(
            "Service Fabric thumbprint that is not one",
            vec![
                (
                    "IDENTITY_ENDPOINT",
                    "https://localhost:2377/metadata/identity/oauth2/token",
                ),
                header,
                ("IDENTITY_SERVER_THUMBPRINT", "abc"),
            ],
            MI,
            &["IDENTITY_SERVER_THUMBPRINT is not a SHA-1 thumbprint"],
        ),
        case(
            "Cloud Shell / Azure ML endpoint that is not a URL",
            vec![("MSI_ENDPOINT", "ftp://localhost:50342/oauth2/token")],
            MI,
            &["MSI_ENDPOINT", "not a valid http(s) URL"],
        ),
        case(
            "Azure Arc IMDS endpoint that is not a URL",
            vec![
                (
                    "IDENTITY_ENDPOINT",
                    "http://localhost:40342/metadata/identity/oauth2/token",
                ),
                ("IMDS_ENDPOINT", "::"),
            ],
            MI,
            &["IMDS_ENDPOINT \"::\""],
        ),
        case(
            "pod identity host that is not a URL",
            vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://[broken")],
            MI,
            &["AZURE_POD_IDENTITY_AUTHORITY_HOST \"http://[broken\""],
        ),
        Case {
            exclude: vec![CredentialKind::WorkloadIdentity],
            ..case(
                "token exchange with a malformed tenant",
                vec![
                    ("AZURE_TENANT_ID", "bad tenant"),
                    ("AZURE_CLIENT_ID", CLIENT_ID),
                    ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
                ],
                MI,
                &["AZURE_TENANT_ID is \"bad tenant\""],
            )
        },
        Case {
            exclude: vec![CredentialKind::WorkloadIdentity],
            ..case(
                "token exchange with an http authority host",
                with_sp(&[
                    ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
                    ("AZURE_AUTHORITY_HOST", "http://login.example.com"),
                ]),
                MI,
                &["AZURE_AUTHORITY_HOST", "must use https"],
            )
        },
    ]
}

/// Runs `case` with every developer tool installed and asserts the chain
/// stopped at the right link, naming the input, before anything else ran.
async fn assert_stops(case: Case) {
    let what = case.what;
    let runner = ScriptedProcessRunner::new();
    let http = Arc::new(RecordingHttp::default());
    let mut files: Vec<(String, Vec<u8>)> = ["az", "pwsh", "azd"]
        .iter()
        .map(|t| (format!("/fakebin/{t}"), Vec::new()))
        .collect();
    files.extend(case.files.into_iter().map(|(p, c)| (p.to_owned(), c)));
    let mut env: Vec<(String, String)> = vec![("PATH".into(), "/fakebin".into())];
    env.extend(case.env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let ctx = ProviderContext::isolated()
        .with_env(Env::from_pairs(env))
        .with_fs(Fs::from_files(files))
        .with_http(http.clone())
        .with_process(Arc::new(runner.clone()));
    let mut builder = DefaultAzureCredential::builder().with_context(ctx);
    for kind in case.exclude {
        builder = builder.with_excluded(kind);
    }
    let credential = builder.build().unwrap();
    let err = get(&credential).await.unwrap_err();

    assert!(!err.is_unavailable(), "{what}: {err}");
    assert_eq!(
        attempt_names(&err).last(),
        Some(&case.stops_at),
        "{what}: {err}"
    );
    assert!(err.source().is_some(), "{what}");
    let stopper = attempts(&err).last().unwrap();
    assert!(
        matches!(stopper, CredentialError::InvalidConfiguration { .. }),
        "{what}: {stopper:?}"
    );
    // The stopping error's message is the cause: printed once, after the
    // chain's own.
    let text = report(&err);
    assert_eq!(
        text.matches(&stopper.to_string()).count(),
        1,
        "{what}: the stopping error not once in: {text}"
    );
    for needle in &case.says {
        assert!(text.contains(needle), "{what}: {needle:?} not in: {text}");
    }
    assert!(
        text.contains(&format!("{} is set up here but failed", case.stops_at)),
        "{what}: {text}"
    );
    assert!(
        !text.contains(SECRET) && !text.contains("header-secret"),
        "{what}"
    );
    assert!(runner.requests().is_empty(), "{what}: a process started");
    assert!(
        http.urls.lock().unwrap().is_empty(),
        "{what}: requests were sent: {:?}",
        http.urls.lock().unwrap()
    );
    assert_eq!(credential.selected(), None, "{what}");
}

#[tokio::test]
async fn environment_inputs_present_but_wrong_stop_the_chain() {
    for case in environment_cases() {
        assert_stops(case).await;
    }
}

#[tokio::test]
async fn workload_identity_inputs_present_but_wrong_stop_the_chain() {
    for case in workload_identity_cases() {
        assert_stops(case).await;
    }
}

#[tokio::test]
async fn managed_identity_inputs_present_but_wrong_stop_the_chain() {
    for case in managed_identity_cases() {
        assert_stops(case).await;
    }
}

#[tokio::test]
async fn absent_inputs_are_unavailable_and_the_chain_moves_on() {
    // Partial variables (no secret, no certificate, no token file) are
    // "absent", even when the ones present are malformed: the chain goes on
    // to az.
    let h = harness(
        &[
            ("AZURE_TENANT_ID", "not a tenant!"),
            ("AZURE_CLIENT_ID", CLIENT_ID),
        ],
        &["az"],
        &[],
    );
    h.runner.push_output(0, &az_output("az-token"), "");
    let c = builder(&h, &closed_port_url()).build().unwrap();
    assert_eq!(get(&c).await.unwrap().token.expose_secret(), "az-token");
    assert_eq!(c.selected(), Some(CredentialKind::AzureCli));
}

/// A variable whose value is not Unicode is a configuration error naming it,
/// for every variable the environment, workload identity and managed
/// identity credentials and `DefaultAzureCredential` read: never a panic,
/// never silently read as unset.
#[cfg(unix)]
#[test]
fn a_variable_that_is_not_unicode_is_a_configuration_error_naming_it() {
    use credential_default::{
        EnvironmentCredential, ManagedIdentityCredential, WorkloadIdentityCredential,
    };
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    /// `base` with `name` set to bytes that are not UTF-8.
    fn context(base: &[(&str, &str)], name: &str) -> ProviderContext {
        let mut pairs: Vec<(String, OsString)> = base
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        pairs.retain(|(k, _)| k != name);
        pairs.push((name.to_owned(), OsString::from_vec(vec![b'x', 0xff, 0xfe])));
        ProviderContext::isolated()
            .with_env(Env::from_os_pairs(pairs))
            .with_fs(Fs::from_files([("/var/run/token", "jwt")]))
    }
    fn assert_names(err: CredentialError, name: &str) {
        assert!(
            matches!(err, CredentialError::InvalidConfiguration { .. }),
            "{name}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains(&format!("{name} is set but its value is not valid Unicode")),
            "{name}: {err}"
        );
    }
    let service_principal = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_CLIENT_SECRET", SECRET),
    ];
    for name in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN",
        "AZURE_USERNAME",
        "AZURE_AUTHORITY_HOST",
        "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
    ] {
        let err = EnvironmentCredential::builder()
            .with_context(context(&service_principal, name))
            .build()
            .unwrap_err();
        assert_names(err, name);
    }
    let workload = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT_ID),
        ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
    ];
    for name in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
        "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
    ] {
        let err = WorkloadIdentityCredential::builder()
            .with_context(context(&workload, name))
            .build()
            .unwrap_err();
        assert_names(err, name);
    }
    for name in [
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "IDENTITY_SERVER_THUMBPRINT",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "DEFAULT_IDENTITY_CLIENT_ID",
        "IMDS_ENDPOINT",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    ] {
        let err = ManagedIdentityCredential::builder()
            .with_context(context(&[], name))
            .build()
            .unwrap_err();
        assert_names(err, name);
    }
    let err = DefaultAzureCredential::builder()
        .with_context(context(&[], "AZURE_TOKEN_CREDENTIALS"))
        .build()
        .unwrap_err();
    assert_names(err, "AZURE_TOKEN_CREDENTIALS");
}
