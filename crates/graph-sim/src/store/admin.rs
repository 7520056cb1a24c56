//! Directory administration state beside the users themselves: licenses (assigned
//! directly or inherited from a group), directory roles, mailbox settings, Send As
//! rights, and users deleted into the 30-day recycle bin.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::directory::User;
use super::mailbox::Mailbox;

/// A SKU of the tenant's subscriptions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sku {
    pub id: &'static str,
    pub part_number: &'static str,
    /// (servicePlanId, servicePlanName) of its Exchange plan.
    pub plan: (&'static str, &'static str),
}

/// The tenant's subscriptions (real SKU ids, for realistic payloads).
pub(crate) const SKUS: &[Sku] = &[
    Sku {
        id: "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        part_number: "SPE_E5",
        plan: (
            "efb87545-963c-4e0d-99df-69c6916d9eb0",
            "EXCHANGE_S_ENTERPRISE",
        ),
    },
    Sku {
        id: "6fd2c87f-b296-42f0-b197-1e91e994b900",
        part_number: "ENTERPRISEPACK",
        plan: (
            "efb87545-963c-4e0d-99df-69c6916d9eb0",
            "EXCHANGE_S_ENTERPRISE",
        ),
    },
    Sku {
        id: "efccb6f7-5641-4e0e-bd10-b4976e1bf68e",
        part_number: "EMS",
        plan: ("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A"),
    },
    Sku {
        id: "4b9405b0-7788-4568-add1-99614e613b69",
        part_number: "EXCHANGESTANDARD",
        plan: (
            "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
            "EXCHANGE_S_STANDARD",
        ),
    },
];

pub(crate) fn sku(id: &str) -> Option<&'static Sku> {
    SKUS.iter().find(|s| s.id.eq_ignore_ascii_case(id))
}

/// One user's licenses.
#[derive(Clone, Debug, Default)]
pub(crate) struct Licenses {
    pub direct: Vec<&'static str>,
    /// (skuId, group display name)
    pub inherited: Vec<(&'static str, String)>,
}

impl Licenses {
    /// Every SKU the user has, each once, direct ones first.
    pub(crate) fn all(&self) -> Vec<&'static str> {
        let mut out = self.direct.clone();
        for (s, _) in &self.inherited {
            if !out.contains(s) {
                out.push(s);
            }
        }
        out
    }
}

/// Why an assignLicense call is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LicenseError {
    UnknownSku(String),
    NotAssigned(String),
    InheritedOnly(String),
}

/// The Entra roles that count for user deletion and license changes.
pub(crate) const GLOBAL_ADMIN: &str = "Global Administrator";
pub(crate) const PRIVILEGED_AUTH_ADMIN: &str = "Privileged Authentication Administrator";
pub(crate) const USER_ADMIN: &str = "User Administrator";
pub(crate) const LICENSE_ADMIN: &str = "License Administrator";

#[derive(Default)]
pub(crate) struct AdminData {
    /// By user object id.
    pub licenses: HashMap<String, Licenses>,
    /// By user object id.
    pub roles: HashMap<String, Vec<String>>,
    /// mailboxSettings JSON by owner id; created with defaults on first use.
    settings: HashMap<String, Value>,
    /// Mailbox owner id -> addresses it may send as.
    pub send_as: HashMap<String, Vec<String>>,
    /// Deleted users and their mailboxes, restorable for 30 days.
    pub deleted: Vec<(User, Option<Mailbox>, u64)>,
}

impl AdminData {
    pub(crate) fn roles_of(&self, user_id: &str) -> &[String] {
        self.roles.get(user_id).map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn has_role(&self, user_id: &str, roles: &[&str]) -> bool {
        self.roles_of(user_id)
            .iter()
            .any(|r| roles.iter().any(|x| x.eq_ignore_ascii_case(r)))
    }

    /// Removes and adds SKUs atomically: any problem refuses the whole call, as Graph does.
    pub(crate) fn assign(
        &mut self,
        user_id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), LicenseError> {
        let current = self.licenses.get(user_id).cloned().unwrap_or_default();
        let mut next = current.clone();
        for r in remove {
            let s = sku(r).ok_or_else(|| LicenseError::UnknownSku(r.clone()))?;
            if let Some(i) = next.direct.iter().position(|d| *d == s.id) {
                next.direct.remove(i);
            } else if current.inherited.iter().any(|(i, _)| *i == s.id) {
                return Err(LicenseError::InheritedOnly(s.id.into()));
            } else {
                return Err(LicenseError::NotAssigned(s.id.into()));
            }
        }
        for a in add {
            let s = sku(a).ok_or_else(|| LicenseError::UnknownSku(a.clone()))?;
            if !next.direct.contains(&s.id) {
                next.direct.push(s.id);
            }
        }
        self.licenses.insert(user_id.to_string(), next);
        Ok(())
    }

    /// The user's `licenseDetails` collection items.
    pub(crate) fn license_details(&self, user_id: &str) -> Vec<Value> {
        self.licenses
            .get(user_id)
            .map(Licenses::all)
            .unwrap_or_default()
            .into_iter()
            .filter_map(sku)
            .map(|s| {
                json!({
                    "id": crate::ids::short_id(user_id, s.id),
                    "skuId": s.id,
                    "skuPartNumber": s.part_number,
                    "servicePlans": [{
                        "servicePlanId": s.plan.0,
                        "servicePlanName": s.plan.1,
                        "provisioningStatus": "Success",
                        "appliesTo": "User",
                    }],
                })
            })
            .collect()
    }

    /// `assignedLicenses` as the user object carries it (direct and inherited).
    pub(crate) fn assigned_licenses(&self, user_id: &str) -> Value {
        json!(
            self.licenses
                .get(user_id)
                .map(Licenses::all)
                .unwrap_or_default()
                .into_iter()
                .map(|s| json!({"skuId": s, "disabledPlans": []}))
                .collect::<Vec<_>>()
        )
    }

    /// The mailbox's settings, with Exchange's defaults when never changed.
    pub(crate) fn settings(&mut self, owner_id: &str) -> &mut Value {
        self.settings
            .entry(owner_id.to_string())
            .or_insert_with(default_settings)
    }
}

/// Keeps each user object's `assignedLicenses` in step with the license data.
pub(crate) fn sync_assigned_licenses(data: &mut super::TenantData) {
    let ids: Vec<String> = data.directory.all().iter().map(|u| u.id.clone()).collect();
    for id in ids {
        let value = data.admin.assigned_licenses(&id);
        if let Some(u) = data.directory.find_mut(&id) {
            u.props.insert("assignedLicenses".into(), value);
        }
    }
}

fn default_settings() -> Value {
    json!({
        "archiveFolder": "",
        "timeZone": "UTC",
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
        "userPurpose": "user",
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": "UTC"}
        },
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "scheduledStartDateTime": {"dateTime": "2024-01-01T00:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2024-01-02T00:00:00.0000000", "timeZone": "UTC"},
            "internalReplyMessage": "",
            "externalReplyMessage": ""
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
    const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";

    #[test]
    fn inherited_license_refuses_the_whole_call() {
        let mut a = AdminData::default();
        a.licenses.insert(
            "u".into(),
            Licenses {
                direct: vec![EMS],
                inherited: vec![(E3, "Retail Licensing".into())],
            },
        );
        assert_eq!(
            a.assign("u", &[], &[EMS.into(), E3.into()]),
            Err(LicenseError::InheritedOnly(E3.into()))
        );
        assert_eq!(a.licenses["u"].direct, vec![EMS], "nothing changed");
        a.assign("u", &[], &[EMS.into()]).unwrap();
        assert_eq!(a.licenses["u"].all(), vec![E3]);
        assert_eq!(
            a.assign("u", &[], &[EMS.into()]),
            Err(LicenseError::NotAssigned(EMS.into()))
        );
        assert_eq!(a.license_details("u")[0]["skuPartNumber"], "ENTERPRISEPACK");
    }
}
