#!/usr/bin/env python3
"""Generates a synthetic monorepo for plinth's benchmarks, from a seed.

Half the units are ARM templates (hand-written quickstart style and
Bicep-compiled style, with nested deployments as Bicep modules compile),
half are Terraform modules (main.tf, variables.tf, outputs.tf, sometimes
terraform.tfvars). Each unit is a private-connectivity stack of the kind
plinth exists for — VNet, subnets, NSG, route table, PostgreSQL flexible
server, private DNS zones with VNet links, private endpoints — plus the
storage accounts, key vaults and tags that real templates carry, in
randomised numbers, so sizes spread like real repositories: most units a
few kilobytes, some far larger. About one unit in ten carries a mistake
a rule finds.

    python3 bench/corpus.py --out /tmp/corpus --units 20000 --seed 1
    python3 bench/corpus.py --out /tmp/pe10k --endpoints 10000

`--endpoints N` writes instead one ARM template and one Terraform module
with N private endpoints each (all in one unit), for the no-quadratic-join
benchmark. Nothing generated here is committed.
"""

import argparse
import json
import os
import random

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
ZONE_OK = "privatelink.postgres.database.azure.com"
ZONE_BAD = "privatelink.postgres.azure.com"
LOCATIONS = ["westeurope", "northeurope", "eastus2", "uksouth", "swedencentral"]
WORDS = ["orders", "billing", "catalog", "identity", "search", "payments",
         "ledger", "shipping", "reports", "audit", "events", "profile"]


def tags(rng):
    return {
        "costCenter": f"cc-{rng.randint(1000, 9999)}",
        "owner": f"team-{rng.choice(WORDS)}@example.com",
        "environment": rng.choice(["dev", "test", "prod"]),
        "workload": rng.choice(WORDS),
    }


# ---------------------------------------------------------------- ARM


BAD_SHARE = 0.1


def arm_template(rng, name, nested):
    bad = rng.random() < BAD_SHARE
    zone = ZONE_BAD if bad else ZONE_OK
    subnets = rng.randint(2, 8)
    params = {
        "location": {"type": "string", "defaultValue": rng.choice(LOCATIONS),
                     "metadata": {"description": "Location for all resources."}},
        "serverName": {"type": "string", "defaultValue": f"psql-{name}"},
        "administratorLogin": {"type": "string", "defaultValue": "pgadmin"},
        "administratorLoginPassword": {"type": "securestring"},
        "tags": {"type": "object", "defaultValue": tags(rng)},
    }
    variables = {
        "vnetName": f"vnet-{name}",
        "zoneName": zone,
        "peName": "[format('pe-{0}', parameters('serverName'))]",
    }
    resources = [
        {
            "type": "Microsoft.Network/networkSecurityGroups",
            "apiVersion": "2024-05-01",
            "name": f"nsg-{name}",
            "location": "[parameters('location')]",
            "tags": "[parameters('tags')]",
            "properties": {"securityRules": [
                {"name": f"allow-{i}", "properties": {
                    "priority": 100 + i, "direction": "Inbound", "access": "Allow",
                    "protocol": "Tcp", "sourcePortRange": "*",
                    "destinationPortRange": str(rng.choice([443, 5432, 22, 3389])),
                    "sourceAddressPrefix": f"10.{rng.randint(0, 255)}.0.0/16",
                    "destinationAddressPrefix": "*"}}
                for i in range(rng.randint(1, 12))]},
        },
        {
            "type": "Microsoft.Network/virtualNetworks",
            "apiVersion": "2024-05-01",
            "name": "[variables('vnetName')]",
            "location": "[parameters('location')]",
            "tags": "[parameters('tags')]",
            "dependsOn": [f"[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-{name}')]"],
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                "subnets": [
                    {"name": f"snet-{i}", "properties": {
                        "addressPrefix": f"10.20.{i}.0/24",
                        "networkSecurityGroup": {"id": f"[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-{name}')]"},
                        "privateEndpointNetworkPolicies": "Enabled" if not bad else "Disabled"}}
                    for i in range(subnets)],
            },
        },
        {
            "type": "Microsoft.DBforPostgreSQL/flexibleServers",
            "apiVersion": "2024-08-01",
            "name": "[parameters('serverName')]",
            "location": "[parameters('location')]",
            "tags": "[parameters('tags')]",
            "sku": {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
            "properties": {
                "version": "16",
                "administratorLogin": "[parameters('administratorLogin')]",
                "administratorLoginPassword": "[parameters('administratorLoginPassword')]",
                "storage": {"storageSizeGB": rng.choice([32, 64, 128])},
                "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled",
                               "tenantId": "[subscription().tenantId]"},
                "backup": {"backupRetentionDays": 14, "geoRedundantBackup": "Enabled"},
                "highAvailability": {"mode": "ZoneRedundant"},
                "network": {"publicNetworkAccess": "Disabled"},
            },
        },
        {
            "type": "Microsoft.Network/privateDnsZones",
            "apiVersion": "2024-06-01",
            "name": "[variables('zoneName')]",
            "location": "global",
        },
        {
            "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            "apiVersion": "2024-06-01",
            "name": "[format('{0}/link-{1}', variables('zoneName'), variables('vnetName'))]",
            "location": "global",
            "dependsOn": ["[resourceId('Microsoft.Network/privateDnsZones', variables('zoneName'))]"],
            "properties": {"registrationEnabled": False, "virtualNetwork": {
                "id": "[resourceId('Microsoft.Network/virtualNetworks', variables('vnetName'))]"}},
        },
        {
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": "2024-05-01",
            "name": "[variables('peName')]",
            "location": "[parameters('location')]",
            "properties": {
                "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnetName'), 'snet-0')]"},
                "privateLinkServiceConnections": [{"name": "psc", "properties": {
                    "privateLinkServiceId": "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', parameters('serverName'))]",
                    "groupIds": ["postgresqlServer"]}}],
            },
            "resources": [{
                "type": "privateDnsZoneGroups",
                "apiVersion": "2024-05-01",
                "name": "default",
                "dependsOn": ["[resourceId('Microsoft.Network/privateEndpoints', variables('peName'))]"],
                "properties": {"privateDnsZoneConfigs": [{"name": "postgres", "properties": {
                    "privateDnsZoneId": "[resourceId('Microsoft.Network/privateDnsZones', variables('zoneName'))]"}}]},
            }],
        },
    ]
    for i in range(rng.randint(0, 6)):
        resources.append({
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2023-05-01",
            "name": f"[format('st{{0}}{i}', uniqueString(resourceGroup().id))]",
            "location": "[parameters('location')]",
            "tags": "[parameters('tags')]",
            "sku": {"name": "Standard_ZRS"},
            "kind": "StorageV2",
            "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
                           "publicNetworkAccess": "Disabled",
                           "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}},
        })
    template = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {"_generator": {"name": "bicep", "version": "0.30.23.60470",
                                    "templateHash": str(rng.getrandbits(60))}},
        "parameters": params,
        "variables": variables,
        "resources": resources,
    }
    for n in range(nested):
        inner = arm_template(rng, f"{name}-m{n}", 0)
        inner.pop("metadata")
        template["resources"].append({
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": f"module-{name}-{n}",
            "properties": {
                "expressionEvaluationOptions": {"scope": "inner"},
                "mode": "Incremental",
                "parameters": {"location": {"value": "[parameters('location')]"}},
                "template": inner,
            },
        })
    return template


# ---------------------------------------------------------- Terraform


def tf_module(rng, name):
    bad = rng.random() < BAD_SHARE
    zone = ZONE_BAD if bad else ZONE_OK
    subnets = rng.randint(2, 8)
    out = [f'''terraform {{
  required_providers {{
    azurerm = {{
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }}
  }}
}}

resource "azurerm_resource_group" "rg" {{
  name     = "rg-{name}"
  location = var.location
  tags     = local.tags
}}

locals {{
  tags = {{
{chr(10).join(f'    {k} = "{v}"' for k, v in tags(rng).items())}
  }}
  prefix = "{name}"
}}

resource "azurerm_virtual_network" "vnet" {{
  name                = "vnet-${{local.prefix}}"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  address_space       = ["10.20.0.0/16"]
  tags                = local.tags
}}

resource "azurerm_network_security_group" "nsg" {{
  name                = "nsg-${{local.prefix}}"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
''']
    for i in range(rng.randint(1, 10)):
        out.append(f'''
  security_rule {{
    name                       = "allow-{i}"
    priority                   = {100 + i}
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "{rng.choice([443, 5432, 22])}"
    source_address_prefix      = "10.{rng.randint(0, 255)}.0.0/16"
    destination_address_prefix = "*"
  }}
''')
    out.append("}\n")
    for i in range(subnets):
        policies = "Disabled" if bad and i == 0 else "Enabled"
        out.append(f'''
resource "azurerm_subnet" "s{i}" {{
  name                              = "snet-{i}"
  resource_group_name               = azurerm_resource_group.rg.name
  virtual_network_name              = azurerm_virtual_network.vnet.name
  address_prefixes                  = ["10.20.{i}.0/24"]
  private_endpoint_network_policies = "{policies}"
}}

resource "azurerm_subnet_network_security_group_association" "s{i}" {{
  subnet_id                 = azurerm_subnet.s{i}.id
  network_security_group_id = azurerm_network_security_group.nsg.id
}}
''')
    out.append(f'''
resource "azurerm_postgresql_flexible_server" "db" {{
  name                          = "psql-${{local.prefix}}"
  resource_group_name           = azurerm_resource_group.rg.name
  location                      = azurerm_resource_group.rg.location
  version                       = "16"
  sku_name                      = "GP_Standard_D2ds_v5"
  storage_mb                    = {rng.choice([32768, 65536])}
  geo_redundant_backup_enabled  = true
  public_network_access_enabled = false
  tags                          = local.tags

  authentication {{
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = var.tenant_id
  }}

  high_availability {{
    mode = "ZoneRedundant"
  }}
}}

resource "azurerm_private_dns_zone" "pg" {{
  name                = "{zone}"
  resource_group_name = azurerm_resource_group.rg.name
}}

resource "azurerm_private_dns_zone_virtual_network_link" "pg" {{
  name                  = "link-${{azurerm_virtual_network.vnet.name}}"
  resource_group_name   = azurerm_resource_group.rg.name
  private_dns_zone_name = azurerm_private_dns_zone.pg.name
  virtual_network_id    = azurerm_virtual_network.vnet.id
}}

resource "azurerm_private_endpoint" "db" {{
  name                = "pe-${{local.prefix}}"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  subnet_id           = azurerm_subnet.s0.id

  private_service_connection {{
    name                           = "psc-${{local.prefix}}"
    private_connection_resource_id = azurerm_postgresql_flexible_server.db.id
    subresource_names              = ["postgresqlServer"]
    is_manual_connection           = false
  }}

  private_dns_zone_group {{
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.pg.id]
  }}
}}
''')
    for i in range(rng.randint(0, 5)):
        out.append(f'''
resource "azurerm_storage_account" "st{i}" {{
  name                          = "st${{replace(local.prefix, "-", "")}}{i}"
  resource_group_name           = azurerm_resource_group.rg.name
  location                      = azurerm_resource_group.rg.location
  account_tier                  = "Standard"
  account_replication_type      = "ZRS"
  min_tls_version               = "TLS1_2"
  public_network_access_enabled = false
  tags                          = local.tags
}}
''')
    variables = f'''variable "location" {{
  type        = string
  description = "Azure region for every resource."
  default     = "{rng.choice(LOCATIONS)}"
}}

variable "tenant_id" {{
  type        = string
  description = "Microsoft Entra tenant of the database administrators."
}}
'''
    outputs = '''output "server_id" {
  value = azurerm_postgresql_flexible_server.db.id
}

output "private_endpoint_ip" {
  value = azurerm_private_endpoint.db.private_service_connection[0].private_ip_address
}
'''
    return {"main.tf": "".join(out), "variables.tf": variables, "outputs.tf": outputs}


# ------------------------------------------------------- many endpoints


def many_endpoints(out, n):
    resources = [
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01",
         "name": "vnet-hub", "location": "westeurope",
         "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/8"]},
                        "subnets": [{"name": "snet-pe", "properties": {"addressPrefix": "10.1.0.0/16"}}]}},
        {"type": "Microsoft.Network/privateDnsZones", "apiVersion": "2024-06-01",
         "name": ZONE_OK, "location": "global"},
    ]
    for i in range(n):
        resources.append({
            "type": "Microsoft.DBforPostgreSQL/flexibleServers", "apiVersion": "2024-08-01",
            "name": f"psql-{i}", "location": "westeurope",
            "properties": {"version": "16", "network": {"publicNetworkAccess": "Disabled"},
                           "authConfig": {"activeDirectoryAuth": "Enabled", "passwordAuth": "Disabled"},
                           "backup": {"geoRedundantBackup": "Enabled"}}})
        resources.append({
            "type": "Microsoft.Network/privateEndpoints", "apiVersion": "2024-05-01",
            "name": f"pe-{i}", "location": "westeurope",
            "properties": {
                "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-hub', 'snet-pe')]"},
                "privateLinkServiceConnections": [{"name": "psc", "properties": {
                    "privateLinkServiceId": f"[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', 'psql-{i}')]",
                    "groupIds": ["postgresqlServer"]}}]},
            "resources": [{"type": "privateDnsZoneGroups", "apiVersion": "2024-05-01", "name": "default",
                           "properties": {"privateDnsZoneConfigs": [{"name": "pg", "properties": {
                               "privateDnsZoneId": f"[resourceId('Microsoft.Network/privateDnsZones', '{ZONE_OK}')]"}}]}}]})
    os.makedirs(os.path.join(out, "arm"), exist_ok=True)
    with open(os.path.join(out, "arm", "endpoints.json"), "w") as f:
        json.dump({"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": resources}, f, indent=2)
    tf = ['''resource "azurerm_virtual_network" "hub" {
  name                = "vnet-hub"
  location            = "westeurope"
  resource_group_name = "rg-hub"
  address_space       = ["10.0.0.0/8"]
}

resource "azurerm_subnet" "pe" {
  name                 = "snet-pe"
  resource_group_name  = "rg-hub"
  virtual_network_name = azurerm_virtual_network.hub.name
  address_prefixes     = ["10.1.0.0/16"]
}

resource "azurerm_private_dns_zone" "pg" {
  name                = "%s"
  resource_group_name = "rg-hub"
}
''' % ZONE_OK]
    for i in range(n):
        tf.append(f'''
resource "azurerm_postgresql_flexible_server" "db{i}" {{
  name                          = "psql-{i}"
  resource_group_name           = "rg-hub"
  location                      = "westeurope"
  version                       = "16"
  public_network_access_enabled = false
  geo_redundant_backup_enabled  = true

  authentication {{
    active_directory_auth_enabled = true
    password_auth_enabled         = false
  }}
}}

resource "azurerm_private_endpoint" "db{i}" {{
  name                = "pe-{i}"
  location            = "westeurope"
  resource_group_name = "rg-hub"
  subnet_id           = azurerm_subnet.pe.id

  private_service_connection {{
    name                           = "psc-{i}"
    private_connection_resource_id = azurerm_postgresql_flexible_server.db{i}.id
    subresource_names              = ["postgresqlServer"]
    is_manual_connection           = false
  }}

  private_dns_zone_group {{
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.pg.id]
  }}
}}
''')
    os.makedirs(os.path.join(out, "terraform"), exist_ok=True)
    with open(os.path.join(out, "terraform", "main.tf"), "w") as f:
        f.write("".join(tf))


def main():
    global BAD_SHARE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--units", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--endpoints", type=int, default=0)
    parser.add_argument("--bad-share", type=float, default=BAD_SHARE,
                        help="share of units with a mistake (default 0.1)")
    args = parser.parse_args()
    BAD_SHARE = args.bad_share
    if args.endpoints:
        many_endpoints(args.out, args.endpoints)
        return
    rng = random.Random(args.seed)
    for i in range(args.units):
        group = os.path.join(args.out, f"team{i % 100:02d}")
        name = f"{rng.choice(WORDS)}-{i}"
        if i % 2 == 0:
            # One in twenty ARM units is a large Bicep-compiled template with modules.
            nested = rng.randint(3, 12) if rng.random() < 0.05 else rng.choice([0, 0, 0, 1])
            template = arm_template(rng, name, nested)
            os.makedirs(group, exist_ok=True)
            with open(os.path.join(group, f"{name}.json"), "w") as f:
                json.dump(template, f, indent=2)
        else:
            module = os.path.join(group, name)
            os.makedirs(module, exist_ok=True)
            for file, text in tf_module(rng, name).items():
                with open(os.path.join(module, file), "w") as f:
                    f.write(text)


if __name__ == "__main__":
    main()
