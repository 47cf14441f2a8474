# The last stage of scripts/build-image (run it through that script): boots the assembled
# disk under QEMU (TCG), checks and cleans it over SSH, and exports a compressed qcow2.
# The disk already holds everything (root file system from packages, the agent, the boot
# loader); Packer's part is what needs the image running: that it boots clean, its package
# manifest, and removing what the boot and the build left (build key, host keys,
# machine-id, logs).

variable "source_image" {
  type        = string
  description = "the assembled disk (qcow2), from scripts/build-image"
}

variable "source_checksum" {
  type        = string
  description = "sha256:<hex> of source_image"
}

variable "output_directory" {
  type = string
}

variable "vm_name" {
  type = string
}

variable "ssh_private_key_file" {
  type        = string
  description = "the build's temporary key; its public half is in the disk until cleanup"
}

variable "console_log" {
  type        = string
  description = "where the guest's serial console is written"
}

variable "manifest" {
  type        = string
  description = "where the package manifest (dpkg-query) is downloaded to"
}

source "qemu" "vrouter" {
  disk_image       = true
  iso_url          = var.source_image
  iso_checksum     = var.source_checksum
  use_backing_file = false
  skip_resize_disk = true
  format           = "qcow2"
  disk_interface   = "virtio"
  disk_cache       = "unsafe"
  disk_discard     = "unmap"
  disk_compression = true

  accelerator = "tcg"
  cpus        = 2
  memory      = 1024
  headless    = true
  # QEMU user networking, restricted (the guest reaches nothing), with sshd forwarded to the
  # host's loopback only. A "-netdev" here replaces the builder's own.
  qemuargs = [
    ["-cpu", "max"],
    ["-netdev", "user,id=user.0,restrict=on,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"],
    ["-device", "virtio-net-pci,netdev=user.0"],
    ["-device", "virtio-rng-pci"],
    ["-serial", "file:${var.console_log}"],
  ]
  vnc_bind_address = "127.0.0.1"

  communicator         = "ssh"
  ssh_username         = "root"
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "5m"
  boot_wait            = "1s"
  shutdown_command     = "systemctl poweroff"
  shutdown_timeout     = "2m"

  output_directory = var.output_directory
  vm_name          = var.vm_name
}

build {
  sources = ["source.qemu.vrouter"]

  provisioner "shell" {
    script = "${path.root}/provision.sh"
  }

  provisioner "file" {
    direction   = "download"
    source      = "/tmp/manifest.tsv"
    destination = var.manifest
  }

  provisioner "shell" {
    script = "${path.root}/cleanup.sh"
  }
}
