//! What a tool's failure means, from its exit code and error output.
//!
//! The texts are the ones the reference SDKs look for (`docs/design-rules.md`,
//! "Developer tools"). Output that carries an Entra ID error code (`AADSTS…`) is a real
//! authentication failure, never "not signed in".

/// The kinds of failure that get their own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The tool (or the shell's notion of it) is not installed.
    NotInstalled,
    /// The tool runs but nobody is signed in.
    NotLoggedIn,
    /// PowerShell runs but the Az.Accounts module is missing.
    MissingModule,
    /// The installed tool is too old for claims challenges.
    ClaimsUnsupported,
    /// Anything else.
    Other,
}

/// Exit code of a POSIX shell (or `env`) for "command not found".
const EXIT_NOT_FOUND: i32 = 127;

fn contains_in_order(text: &str, first: &str, then: &str) -> bool {
    text.find(first)
        .is_some_and(|i| text[i + first.len()..].contains(then))
}

/// `az account get-access-token` failures.
pub(crate) fn classify_az(exit_code: Option<i32>, stderr: &str) -> Failure {
    let text = stderr.trim_start();
    if exit_code == Some(EXIT_NOT_FOUND)
        || contains_in_order(text, "az:", "not found")
        || text.starts_with("'az' is not recognized")
    {
        Failure::NotInstalled
    } else if (text.contains("az login") || text.contains("az account set"))
        && !text.contains("AADSTS")
    {
        Failure::NotLoggedIn
    } else {
        Failure::Other
    }
}

/// `azd auth token` failures.
pub(crate) fn classify_azd(exit_code: Option<i32>, output: &str) -> Failure {
    let text = output.trim_start();
    if exit_code == Some(EXIT_NOT_FOUND)
        || contains_in_order(text, "azd:", "not found")
        || text.starts_with("'azd' is not recognized")
    {
        Failure::NotInstalled
    } else if text.contains("unknown flag: --claims") {
        Failure::ClaimsUnsupported
    } else if (text.contains("not logged in")
        || text.contains("azd auth login")
        || text.contains("azd login"))
        && !text.contains("AADSTS")
    {
        Failure::NotLoggedIn
    } else {
        Failure::Other
    }
}

/// The marker our PowerShell script prints when Az.Accounts is missing.
pub(crate) const NO_MODULE_MARKER: &str = "NO_AZ_ACCOUNT_MODULE";

/// PowerShell failures (`stdout` and `stderr` together).
pub(crate) fn classify_powershell(exit_code: Option<i32>, output: &str) -> Failure {
    let missing_module = output.contains(NO_MODULE_MARKER)
        || (output.contains("Az.Accounts")
            && (output.contains("was not loaded") || output.contains("not installed")))
        || contains_in_order(output, "Get-AzAccessToken", "is not recognized");
    if missing_module {
        Failure::MissingModule
    } else if exit_code == Some(EXIT_NOT_FOUND) || output.contains("is not recognized") {
        Failure::NotInstalled
    } else if output.contains("Connect-AzAccount") && !output.contains("AADSTS") {
        Failure::NotLoggedIn
    } else {
        Failure::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az() {
        assert_eq!(classify_az(Some(127), ""), Failure::NotInstalled);
        assert_eq!(
            classify_az(Some(1), "/bin/sh: 1: az: not found"),
            Failure::NotInstalled
        );
        assert_eq!(
            classify_az(
                Some(1),
                "'az' is not recognized as an internal or external command"
            ),
            Failure::NotInstalled
        );
        assert_eq!(
            classify_az(Some(1), "ERROR: Please run 'az login' to setup account."),
            Failure::NotLoggedIn
        );
        assert_eq!(
            classify_az(
                Some(1),
                "ERROR: Please run 'az account set' to select a subscription."
            ),
            Failure::NotLoggedIn
        );
        assert_eq!(
            classify_az(
                Some(1),
                "AADSTS70043: The refresh token has expired. Run 'az login'."
            ),
            Failure::Other
        );
        assert_eq!(
            classify_az(Some(2), "ERROR: unrecognized arguments"),
            Failure::Other
        );
    }

    #[test]
    fn azd() {
        assert_eq!(classify_azd(Some(127), ""), Failure::NotInstalled);
        assert_eq!(
            classify_azd(
                Some(1),
                "ERROR: not logged in, run `azd auth login` to login"
            ),
            Failure::NotLoggedIn
        );
        assert_eq!(
            classify_azd(Some(1), "Error: unknown flag: --claims"),
            Failure::ClaimsUnsupported
        );
        assert_eq!(
            classify_azd(
                Some(1),
                "ERROR: fetching token: AADSTS50173 run azd auth login"
            ),
            Failure::Other
        );
    }

    #[test]
    fn powershell() {
        assert_eq!(classify_powershell(Some(127), ""), Failure::NotInstalled);
        assert_eq!(
            classify_powershell(Some(0), NO_MODULE_MARKER),
            Failure::MissingModule
        );
        assert_eq!(
            classify_powershell(
                Some(1),
                "Import-Module: The specified module 'Az.Accounts' was not loaded because no valid module file was found"
            ),
            Failure::MissingModule
        );
        assert_eq!(
            classify_powershell(
                Some(1),
                "Get-AzAccessToken: Run Connect-AzAccount to login."
            ),
            Failure::NotLoggedIn
        );
        assert_eq!(
            classify_powershell(Some(1), "AuthorizationManager check failed."),
            Failure::Other
        );
    }
}
